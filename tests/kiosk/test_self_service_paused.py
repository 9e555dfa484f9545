"""The kiosk's side of issue 13 item 6: a holder paused after too many wrong codes
is told so plainly, with when to try again and the RA team as the way forward."""

from __future__ import annotations

import pytest

from kiosk.effects.refusals import refusal_event
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.service_http import ServiceRejected
from screens.self_service_locked import LOCKED, paused_text
from tests.kiosk.kiosk_journey import CODE, Driver
from tests.screens.harness import ScreenHarness, kiosk_state, screen_text

SIZE = (100, 32)


def paused(retry_after: int) -> ServiceRejected:
    return ServiceRejected(423, "self_service_paused", "paused", {"retry_after": retry_after})


@pytest.mark.parametrize("call", [e.Call.START_UNLOCK, e.Call.SEND_CODE, e.Call.SEND_ANSWERS])
def test_the_refusal_becomes_a_paused_reply_with_its_wait(call: e.Call) -> None:
    assert refusal_event(call, paused(5400)) == e.SelfServiceLockedReply(paused_for=5400)


def test_a_pause_at_the_code_step_ends_the_journey_and_wipes() -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    out = d.send(e.SelfServiceLockedReply(paused_for=5400))
    assert d.screen == s.SelfServiceLocked(paused_for=5400)
    assert c.WipeInputs() in out and c.ClearCheckpoint() in out
    assert d.state.journey is None
    assert any(isinstance(cmd, c.QueueAudit) and "self_service_paused" in repr(cmd) for cmd in out)


def test_a_pause_when_the_unlock_starts_says_so() -> None:
    d = Driver.new().at_starting()
    d.send(e.SelfServiceLockedReply(paused_for=600))
    assert d.screen == s.SelfServiceLocked(paused_for=600)


def test_the_paused_words_say_when_and_who_can_help() -> None:
    text = paused_text(5400)
    assert "1 hour and 30 minutes" in text and "RA team" in text
    assert "paused" in text and "wrong codes" in text
    assert "about 1 minute" in paused_text(1)
    assert paused_text(5400) != LOCKED


async def test_the_paused_screen_says_why_when_and_who_can_help() -> None:
    app = ScreenHarness(kiosk_state(s.SelfServiceLocked(paused_for=5400)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = " ".join(screen_text(app).split())
    assert "too many wrong codes" in text
    assert "try again here in about 1 hour and 30 minutes" in text
    assert "take this card and photo ID to them" in text
    assert "answered wrongly 3 times" not in text
