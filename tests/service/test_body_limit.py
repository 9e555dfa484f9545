"""Request bodies are bounded before anything reads them (issue 13 item 3, docs/api.md).

Over real HTTP on loopback: a huge body is refused 413 `body_too_large` before the
token is looked up, without the service holding it, while health keeps answering.
"""

from __future__ import annotations

import resource
import threading
from collections.abc import Iterator

import httpx

from tests.service.conftest import WAIT, RunningService, wait_for

MIB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)


def test_a_10_mb_body_without_a_token_is_413_and_health_still_answers(
    live_service: RunningService,
) -> None:
    # The body is streamed (chunked, no Content-Length) so that only the counting
    # of bytes as they arrive can stop it; it pauses past 1 MiB until health answered.
    health_answered = threading.Event()
    sent = {"bytes": 0}

    def body() -> Iterator[bytes]:
        while sent["bytes"] < 10 * MIB:
            if sent["bytes"] >= MIB:
                health_answered.wait(WAIT)
            sent["bytes"] += len(CHUNK)
            yield CHUNK

    result: dict[str, httpx.Response | BaseException] = {}

    def upload() -> None:
        try:
            result["answer"] = httpx.post(
                f"{live_service.url}/v1/unlocks", content=body(), timeout=WAIT
            )
        except httpx.HTTPError as exc:
            result["answer"] = exc

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    wait_for(lambda: sent["bytes"] >= MIB or result, what="the upload to be under way")
    health = httpx.get(f"{live_service.url}/v1/health", timeout=WAIT)
    assert health.status_code == 200
    health_answered.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    answer = result["answer"]
    assert isinstance(answer, httpx.Response), answer
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "body_too_large"
    # Loosely: the service did not keep the 10 MB (ru_maxrss is in KiB on Linux).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 8 * 1024


def test_a_declared_content_length_over_the_limit_is_413_before_the_token(
    live_service: RunningService,
) -> None:
    token = live_service.tokens["ward-7"]
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        answer = httpx.post(
            f"{live_service.url}/v1/registrations",
            content=b"{" + b" " * (10 * MIB) + b"}",
            headers={**headers, "Content-Type": "application/json"},
            timeout=WAIT,
        )
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "body_too_large"


def test_an_audit_batch_has_a_larger_limit_than_other_calls(
    live_service: RunningService,
) -> None:
    # 600 KiB: over the limit of most calls, within the audit batch's.
    token = live_service.tokens["ward-7"]
    events = [
        {"id": f"ev-{i}", "at": "2026-11-29T10:00:00Z", "type": "screen", "outcome": "ok"}
        for i in range(1000)
    ]
    padding = {"note": "n" * 500}
    for event in events:
        event["detail"] = padding  # type: ignore[assignment]
    headers = {"Authorization": f"Bearer {token}"}
    audit = httpx.post(
        f"{live_service.url}/v1/audit", json={"events": events}, headers=headers, timeout=WAIT
    )
    assert audit.status_code == 200, audit.text
    other = httpx.post(
        f"{live_service.url}/v1/unlocks",
        json={"serial": "0" * 16, "uuid": "1" * 12, "nonce": "n" * (600 * 1024)},
        headers=headers,
        timeout=WAIT,
    )
    assert other.status_code == 413
