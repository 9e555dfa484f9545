"""The unlock journey through the real app, card, service and mail (Pilot)."""

from __future__ import annotations

import json

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.app.conftest import holder, latest_code
from tests.app.journey import SIZE, audit_export, card_in, drain_outbox, intent, on, until

pytestmark = pytest.mark.pcsc


async def test_unlock_a_locked_card(world: DemoWorld, kiosk: KioskApp) -> None:
    alex = holder(world, "locked")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        state = await card_in(pilot, kiosk, world, "locked")
        assert isinstance(state.screen, s.CardStatus) and state.screen.can_unlock
        await intent(pilot, kiosk, e.Continue())
        state = await until(pilot, kiosk, on(s.Questions))
        assert isinstance(state.screen, s.Questions)
        answers = {q.id: alex["answers"][q.id] for q in state.screen.questions}
        assert len(answers) == 3
        await intent(
            pilot, kiosk, e.SubmitAnswers({k: v.upper() + "  " for k, v in answers.items()})
        )
        state = await until(pilot, kiosk, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        assert state.screen.sent_to.startswith("a***@")
        code = latest_code(world, alex["email"])
        await intent(pilot, kiosk, e.SubmitCode(code))
        await until(pilot, kiosk, on(s.NewPasscode))
        await intent(pilot, kiosk, e.SubmitNewPasscode("123456", "123456"))
        state = await until(pilot, kiosk, on(s.NewPasscode))
        assert state.screen.errors  # type: ignore[attr-defined]  # a run: refused on the kiosk
        await intent(pilot, kiosk, e.SubmitNewPasscode("258147", "258147"))
        state = await until(pilot, kiosk, on(s.Unlocked))
        # the outbox delivers the kiosk's audit events in the background
        await drain_outbox(pilot, kiosk)
    card = world.cards.personalisation("locked")
    assert card.tries_left == 3 and card.pin == "258147"
    with CardSession.open() as session:
        session.verify("258147")
    # the kiosk's audit events reached the service's books, each once
    exported = audit_export(world)
    records = [json.loads(line) for line in exported.splitlines()]
    kiosk_events = [r for r in records if r["source"] == "kiosk"]
    assert {"card_read"} <= {r["type"] for r in kiosk_events}, kiosk_events
    ids = [r["event_id"] for r in kiosk_events]
    assert len(ids) == len(set(ids))
    for secret in ("258147", code, *answers.values()):
        assert secret not in exported
    # the unlock notice reached the holder
    notices = [m for m in world.mail.mailbox.snapshot() if "unlocked" in str(m["Subject"]).lower()]
    assert notices, "no unlock notice mailed"
