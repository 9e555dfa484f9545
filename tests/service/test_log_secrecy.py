"""No secrets or internals in the service's logs (issue 13 item 12).

The service under uvicorn on loopback with its access log on, every log record
captured: a request that fails inside the store logs neither the SQL, its
parameters nor a traceback, and a token put in a query string is never logged.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from tests.service.conftest import RunningService

MARKER_NONCE = "feedc0de" * 4
MARKER_UUID = "271828182845"


CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client, not the service


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record the service side logged (server, app, store), traceback included."""
    lines = []
    for record in caplog.records:
        if record.name.startswith(CLIENT_LOGGERS):
            continue
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            lines.append(record.exc_text)
        if record.stack_info:
            lines.append(record.stack_info)
    return "\n".join(lines)


def test_a_failed_request_logs_no_sql_parameters_or_traceback(
    live_service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault in the store: the nonces table is gone when a proof is checked.
    with live_service.service.engine.begin() as conn:
        conn.execute(text("ALTER TABLE nonces RENAME TO nonces_gone"))
    headers = {"Authorization": f"Bearer {live_service.tokens['ward-7']}"}
    body = {
        "serial": "0a0b0c0d0e0f0001",
        "uuid": MARKER_UUID,
        "nonce": MARKER_NONCE,
        "mac": "00" * 16,
    }
    with caplog.at_level(logging.DEBUG):
        answer = httpx.post(f"{live_service.url}/v1/unlocks", json=body, headers=headers)
        assert answer.status_code == 500
        assert answer.json()["code"] == "internal_error"
        assert MARKER_NONCE not in answer.text
        # The access line for the request is written after the answer is sent.
        health = httpx.get(f"{live_service.url}/v1/health")
        assert health.status_code == 200
    logged = everything_logged(caplog)
    assert "/v1/unlocks" in logged  # the access log did see the request
    assert "Traceback" not in logged
    assert not any(r.exc_info for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS))
    for leak in (MARKER_NONCE, MARKER_UUID, "nonces_gone", "[parameters", "UPDATE", "SELECT"):
        assert leak not in logged, leak


def test_a_token_in_a_query_string_is_never_logged(
    live_service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    token = live_service.tokens["ward-7"]
    with caplog.at_level(logging.DEBUG):
        for path in (f"/v1/questions?token={token}", f"/v1/health?access_token={token}&x=1"):
            httpx.get(f"{live_service.url}{path}")
        httpx.get(f"{live_service.url}/v1/health")
    logged = everything_logged(caplog)
    assert "/v1/questions" in logged
    assert token not in logged
