"""Wrong codes are bounded per holder across unlocks (issue 13 item 6).

Each code dies after 3 wrong tries, but chaining unlocks once brought a fresh
code each time, and the holder's count never moved: about 130 guesses a minute.
Now every wrong code counts against the holder over a window; the one that
reaches the bound pauses self-service for that holder (423 self_service_paused
with retry_after) and the holder is mailed. Over real HTTP and SMTP on loopback,
on SQLite and PostgreSQL, with the notice sweep of a served instance running.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from card.keys import MasterKeys
from service.housekeeping import Housekeeping
from service.settings import CodeGuesses, ServiceSettings
from tests.service.conftest import (
    Mailbox,
    MovableClock,
    RunningService,
    start_service,
)
from tests.service.holder_steps import bearer, post_unlock

BOUND = 5
WINDOW = 3600.0


@pytest.fixture
def chained(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    """The service asking no questions (the attacker's best case), bound 5 in an hour,
    with its housekeeping thread (the notice sweep) running as when served."""
    settings = settings.model_copy(
        update={
            "policy": "national-2023",  # the code is mailed at once (no texts here)
            "code_guesses": CodeGuesses(per_holder=BOUND, window=WINDOW),
        }
    )
    with start_service(settings, masters, clock) as running:
        housekeeping = Housekeeping(running.service)
        housekeeping.start()
        try:
            yield running
        finally:
            housekeeping.stop()


def headers(live: RunningService, kiosk: str = "ward-7") -> dict[str, str]:
    return bearer(live.tokens[kiosk])


def start(
    live: RunningService, masters: MasterKeys, holder: dict[str, Any], kiosk: str = "ward-7"
) -> httpx.Response:
    return post_unlock(live.url, live.tokens[kiosk], masters, holder)


def guess(live: RunningService, unlock_id: str, kiosk: str = "ward-7") -> httpx.Response:
    code = f"{secrets.randbelow(10**8):08d}"
    return httpx.post(
        f"{live.url}/v1/unlocks/{unlock_id}/code", json={"code": code}, headers=headers(live, kiosk)
    )


def test_chaining_unlocks_is_paused_at_the_bound_and_the_holder_is_told(
    chained: RunningService, masters: MasterKeys, mailbox: Mailbox, clock: MovableClock
) -> None:
    holder = chained.holder("locked")
    # An unlock started at another kiosk before the pause: it must not guess on.
    spare = start(chained, masters, holder, "ra-desk")
    assert spare.status_code == 201, spare.text
    answered: list[str] = []
    while len(answered) < BOUND:
        started = start(chained, masters, holder)
        assert started.status_code == 201, started.text
        for _ in range(3):
            tried = guess(chained, started.json()["unlock_id"])
            answered.append(tried.json()["code"])
            if tried.json()["code"] != "code_wrong" or len(answered) == BOUND:
                break
    # The guess that reaches the bound was checked, and paused self-service.
    assert answered[:3] == ["code_wrong", "code_wrong", "code_void"]
    assert answered[-1] == "self_service_paused"
    paused = guess(chained, spare.json()["unlock_id"], "ra-desk")
    assert paused.status_code == 423
    assert paused.json()["code"] == "self_service_paused"
    assert 0 < paused.json()["retry_after"] <= WINDOW
    assert int(paused.headers["Retry-After"]) == paused.json()["retry_after"]
    again = start(chained, masters, holder)
    assert again.status_code == 423 and again.json()["code"] == "self_service_paused"

    # Told by mail, once, with no code in it: the codes mailed, then the notice.
    mails = mailbox.wait_count(holder["email"], 4)
    notices = [m for m in mails if "paused" in m["Subject"]]
    assert len(notices) == 1
    text = notices[0].get_payload(decode=True).decode()
    assert "0300 555 0100" in text and "not you" in text

    # The pause lifts by itself once the wrong codes age out.
    clock.advance(WINDOW + 1)
    assert start(chained, masters, holder).status_code == 201


def test_the_ra_can_lift_the_pause(
    chained: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = chained.holder("locked")
    codes: list[str] = []
    while not codes or codes[-1] != "self_service_paused":
        unlock_id = start(chained, masters, holder).json()["unlock_id"]
        for _ in range(3):
            codes.append(guess(chained, unlock_id).json()["code"])
            if codes[-1] != "code_wrong":
                break
    assert len(codes) == BOUND
    assert chained.service.clear_lock(holder["uuid"])
    assert start(chained, masters, holder).status_code == 201
