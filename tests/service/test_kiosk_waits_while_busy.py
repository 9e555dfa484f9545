"""The kiosk honours 503 service_busy (issue 14 item 3), on the real service over loopback.

The kiosk's own parts: the real `ServiceClient` and the SendAnswers effect, whose
events drive the pure flow. The service's answer pool is held full (as in
test_admission.py) while the kiosk sends the holder's answers; the kiosk shows it is
busy, keeps the answers on screen, and sends the same request again by itself once
the pool frees. The service counts the attempt once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx

from card.keys import MasterKeys
from contract.contacts import RaContacts
from kiosk.card_access import CardThread
from kiosk.effects import Effects
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import Question
from kiosk.service_client import ServiceClient
from kiosk.store import LocalStore
from screens.wording import outage_text
from tests.kiosk.kiosk_journey import T0, Driver
from tests.service.conftest import WAIT, RunningService
from tests.service.test_admission import busy_live, kiosk, pool_held, small_pool, start_unlock

__all__ = ["busy_live", "small_pool"]  # the fixtures (one worker, room for one more)


class Recording(httpx.AsyncBaseTransport):
    """The real HTTP transport, noting each answer step's Idempotency-Key and status."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/answers"):
            self.sent.append((request.headers["Idempotency-Key"], response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_kiosk_waits_while_busy_and_sends_the_same_answers_again_counted_once(
    busy_live: RunningService, masters: MasterKeys, tmp_path: Path
) -> None:
    holder = busy_live.holder("locked")
    checks = busy_live.service.answer_checks
    with kiosk(busy_live) as http:
        unlock = start_unlock(http, masters, holder)
    questions = tuple(Question(id=q["id"], text=q["text"]) for q in unlock["questions"])
    wrong = {q.id: "not it" for q in questions}

    # The flow on the questions screen, the holder's answers typed and sent.
    d = Driver.new().at_questions()
    d.state = _with_unlock(d.state, unlock["unlock_id"], questions)
    [send] = [cmd for cmd in d.send(e.SubmitAnswers(wrong)) if isinstance(cmd, c.SendAnswers)]

    transport = Recording()
    client = ServiceClient(
        busy_live.url, busy_live.tokens["ward-7"], timeout=WAIT, retries=0, transport=transport
    )
    events: list[e.Event] = []
    store = LocalStore(tmp_path / "kiosk.sqlite")
    effects = Effects(
        card=CardThread(object()),  # type: ignore[arg-type]  # answers need no card
        client=client,
        store=store,
        emit=events.append,
        clock=lambda: T0,
    )
    try:
        with pool_held(checks, checks.capacity):
            sending = asyncio.create_task(effects.run(send))
            await _until(lambda: any(isinstance(ev, e.ServiceBusy) for ev in events))
            busy = events[0]
            assert isinstance(busy, e.ServiceBusy) and busy.failed is e.Call.SEND_ANSWERS
            assert busy.retry_after >= 1
            d.send(busy)
            outage = d.screen
            assert isinstance(outage, s.ServiceUnavailable)
            assert outage.overloaded and outage.call_waiting and outage.typed
            # The questions screen stays underneath, still sending: its fields keep
            # the answers (the screens test checks the widgets), and no probe goes.
            assert isinstance(outage.resume_to, s.Questions) and outage.resume_to.sending
            later = d.tick(busy.retry_after + 5)
            assert not [cmd for cmd in later if isinstance(cmd, c.CheckService | c.SendAnswers)]
            text = outage_text(outage, d.now, RaContacts()).plain
            assert "The unlock service is busy just now" in text
            assert "cannot be reached" not in text
            assert "Nothing was counted against you" in text
            # Nothing was counted while the pool was full.
            view = busy_live.service.show_holder(holder["uuid"])
            assert view is not None and view["failed_attempts"] == 0
            assert not sending.done()
        await asyncio.wait_for(sending, WAIT)
    finally:
        await client.aclose()
        store.close()

    answer = events[-1]
    assert answer == e.AnswersWrong(attempts_left=2)
    d.send(*events[1:])
    assert isinstance(d.screen, s.Questions) and d.screen.attempts_left == 2
    # Every try went with one and the same key; only the last was taken.
    keys = {key for key, _ in transport.sent}
    assert len(keys) == 1
    assert [status for _, status in transport.sent][-1] == 422
    assert all(status == 503 for _, status in transport.sent[:-1])
    assert len(transport.sent) >= 2
    view = busy_live.service.show_holder(holder["uuid"])
    assert view is not None and view["failed_attempts"] == 1
    records = [r for r in busy_live.service.export_audit() if "answer" in r["type"]]
    assert len(records) == 1, records


async def _until(condition: Any, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _with_unlock(state: s.KioskState, unlock_id: str, questions: tuple[Question, ...]) -> Any:
    assert state.journey is not None and isinstance(state.screen, s.Questions)
    journey = dataclasses.replace(state.journey, service_id=unlock_id)
    screen = dataclasses.replace(state.screen, questions=questions)
    return dataclasses.replace(state, journey=journey, screen=screen)
