"""One mail per event, even when a kiosk's steps race (issue 13 item 9).

Two right answers for one unlock at once (a kiosk's retry racing its first try)
used to pass the rules' first run both, and both mailed a code: two codes went
out, and the one whose step lost never worked. The same for two "unlocked"
results: two notices. The race is made certain, not lucky: the first request's
mail is held at the relay until the second request has had every chance to
mail too. Over real HTTP on loopback, on SQLite and on PostgreSQL, with and
without an Idempotency-Key.
"""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from card.keys import MasterKeys
from service.mailer import Mailer
from tests.service.conftest import Mailbox, RunningService, wait_for
from tests.service.holder_steps import bearer, unlock_over_http

SECOND_REQUEST_CHANCE = 2.0
"""How long the held mail waits for a second request's mail (none must come)."""


class HeldMailer:
    """The real mailer, but the first mail of a held event waits at a gate."""

    def __init__(self, real: Mailer) -> None:
        self.real = real
        self.arrived: list[str] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()

    def hold(self) -> None:
        self.gate.clear()

    def send(self, to: str, template: str, **values: str) -> None:
        with self.lock:
            self.arrived.append(template)
        self.gate.wait(30)
        self.real.send(to, template, **values)


def headers(live: RunningService, key: str | None = None) -> dict[str, str]:
    return bearer(live.tokens["ward-7"], key)


def race(
    live: RunningService, mailer: HeldMailer, path: str, body: dict[str, Any], with_key: bool
) -> list[httpx.Response]:
    """Send the same step twice at once; the first one's mail is held meanwhile."""
    mailer.hold()
    before = len(mailer.arrived)

    def post() -> httpx.Response:
        key = secrets.token_hex(8) if with_key else None
        return httpx.post(f"{live.url}{path}", json=body, headers=headers(live, key), timeout=60)

    with ThreadPoolExecutor(2) as pool:
        first: Future[httpx.Response] = pool.submit(post)
        wait_for(lambda: len(mailer.arrived) > before, what="the first request's mail")
        second = pool.submit(post)
        # Before the fix the second request mails too, at once: give it every chance.
        try:
            wait_for(
                lambda: len(mailer.arrived) > before + 1,
                timeout=SECOND_REQUEST_CHANCE,
                what="a second mail",
            )
        except AssertionError:
            pass
        mailer.gate.set()
        return [first.result(), second.result()]


@pytest.fixture
def held(live_service: RunningService) -> HeldMailer:
    mailer = HeldMailer(live_service.service.mailer)
    live_service.service.mailer = mailer
    return mailer


@pytest.mark.parametrize("with_key", [True, False], ids=["keyed", "unkeyed"])
def test_two_right_answers_at_once_send_one_code(
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    held: HeldMailer,
    with_key: bool,
) -> None:
    holder = live_service.holder("locked")
    started = unlock_over_http(live_service.url, live_service.tokens["ward-7"], masters, holder)
    answers = {q["id"]: holder["answers"][q["id"]] for q in started["questions"]}
    unlock = f"/v1/unlocks/{started['unlock_id']}"

    answered = race(live_service, held, f"{unlock}/answers", {"answers": answers}, with_key)

    statuses = sorted(a.status_code for a in answered)
    assert statuses == [200, 409], [a.text for a in answered]
    assert [a.json()["code"] for a in answered if a.status_code == 409] == ["wrong_step"]
    assert held.arrived == ["unlock-code"]
    code = mailbox.code(holder["email"], 1)
    assert len(mailbox.to(holder["email"])) == 1
    # The one code that went out is the one that works.
    taken = httpx.post(
        f"{live_service.url}{unlock}/code", json={"code": code}, headers=headers(live_service)
    )
    assert taken.status_code == 200, taken.text


@pytest.mark.parametrize("with_key", [True, False], ids=["keyed", "unkeyed"])
def test_two_unlocked_results_at_once_send_one_notice(
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    held: HeldMailer,
    with_key: bool,
) -> None:
    holder = live_service.holder("locked")
    started = unlock_over_http(live_service.url, live_service.tokens["ward-7"], masters, holder)
    answers = {q["id"]: holder["answers"][q["id"]] for q in started["questions"]}
    unlock = f"{live_service.url}/v1/unlocks/{started['unlock_id']}"
    own = headers(live_service)
    assert (
        httpx.post(f"{unlock}/answers", json={"answers": answers}, headers=own).status_code == 200
    )
    code = mailbox.code(holder["email"], 1)
    assert httpx.post(f"{unlock}/code", json={"code": code}, headers=own).status_code == 200
    challenge = {"challenge": secrets.token_hex(16)}
    assert httpx.post(f"{unlock}/cryptogram", json=challenge, headers=own).status_code == 200

    result = {"outcome": "unlocked", "status_word": "9000"}
    reported = race(
        live_service, held, f"/v1/unlocks/{started['unlock_id']}/result", result, with_key
    )

    assert sorted(r.status_code for r in reported) == [200, 409], [r.text for r in reported]
    assert held.arrived.count("unlock-notice") == 1
    notices = mailbox.wait_count(holder["email"], 2)
    assert len(notices) == 2  # the code, then one notice
