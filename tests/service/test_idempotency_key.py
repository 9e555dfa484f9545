"""An empty Idempotency-Key is refused, not one key shared by every request (issue 13
item 10). Over real HTTP on loopback."""

from __future__ import annotations

import httpx

from tests.service.conftest import RunningService


def test_an_empty_idempotency_key_is_refused(live_service: RunningService) -> None:
    # (A blank one cannot be sent: HTTP strips a header value's surrounding spaces.)
    headers = {
        "Authorization": f"Bearer {live_service.tokens['ward-7']}",
        "Idempotency-Key": "",
    }
    answers = [httpx.post(f"{live_service.url}/v1/nonces", headers=headers) for _ in range(2)]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "request_invalid"
    # Without the header, each request is its own.
    plain = {"Authorization": headers["Authorization"]}
    first, second = (httpx.post(f"{live_service.url}/v1/nonces", headers=plain) for _ in range(2))
    assert first.status_code == second.status_code == 201
    assert first.json()["nonce"] != second.json()["nonce"]
