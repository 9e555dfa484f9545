"""Kiosk audit events: secrets filtered at every depth, each event's detail bounded
(issue 13 item 8). Over real HTTP, read back with `audit export`'s own reader."""

from __future__ import annotations

import json

import httpx

from tests.service.conftest import RunningService

SECRETS = ["400123", "991177", "rover the dog", "55667788", "a1b2c3d4"]


def post_events(live: RunningService, events: list[dict[str, object]]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.tokens['ward-7']}"}
    return httpx.post(f"{live.url}/v1/audit", json={"events": events}, headers=headers)


def event(event_id: str, detail: dict[str, object]) -> dict[str, object]:
    return {
        "id": event_id,
        "at": "2026-11-29T10:00:00Z",
        "type": "screen",
        "outcome": "ok",
        "detail": detail,
    }


def exported(live: RunningService, event_id: str) -> dict[str, object]:
    for record in live.service.export_audit():
        if record["event_id"] == event_id:
            return dict(record)
    raise AssertionError(f"event {event_id} not stored")


def test_secret_names_are_dropped_at_every_depth(live_service: RunningService) -> None:
    detail = {
        "screen": "new_passcode",
        "step": {"new_pin": SECRETS[0], "old_PIN": SECRETS[1], "name": "change"},
        "answers": {"q01": SECRETS[2]},
        "form": {"answers": {"q01": SECRETS[2]}, "fields": ["q01"]},
        "steps": [{"passcode": SECRETS[3], "at": 1}, {"screen": "code"}, "plain"],
        "deep": [[{"inner": {"unlock_code": SECRETS[3], "card_mac": SECRETS[4]}}]],
    }
    answer = post_events(live_service, [event("ev-nested", detail)])
    assert answer.status_code == 200, answer.text
    record = exported(live_service, "ev-nested")
    text = json.dumps(record)
    for secret in SECRETS:
        assert secret not in text
    stored = record["detail"]
    assert isinstance(stored, dict)
    assert stored["screen"] == "new_passcode"
    assert stored["step"] == {"name": "change"}
    assert "answers" not in stored
    assert stored["form"] == {"fields": ["q01"]}
    assert stored["steps"] == [{"at": 1}, {"screen": "code"}, "plain"]
    assert stored["deep"] == [[{"inner": {}}]]


def test_an_events_detail_is_bounded(live_service: RunningService) -> None:
    big = {"note": "x" * 100_000}
    answer = post_events(live_service, [event("ev-big", big), event("ev-small", {"n": 1})])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 2, "duplicates": 0}
    record = exported(live_service, "ev-big")
    assert len(json.dumps(record)) < 2_000
    assert record["detail"] == {"detail_dropped": "over 4096 bytes"}
    assert exported(live_service, "ev-small")["detail"] == {"n": 1}


def test_deep_nesting_in_a_detail_is_cut_not_a_crash(live_service: RunningService) -> None:
    nested: dict[str, object] = {"leaf": "end"}
    for _ in range(200):
        nested = {"n": nested}
    answer = post_events(live_service, [event("ev-deep", nested)])
    assert answer.status_code == 200, answer.text
    assert "end" not in json.dumps(exported(live_service, "ev-deep"))
