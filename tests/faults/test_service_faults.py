"""Fault matrix, service side (docs/reliability.md): the service stopped, hanging, or
unable to send mail, at every step of the unlock journey that calls it.

Expected at every cell: no hang and no crash; the holder sees plainly what is
wrong (the outage banner over the step, RA contacts in the footer); what they
typed stays on screen; the kiosk retries by itself; once the fault clears the
journey completes and the card accepts the new passcode; the card is never
blocked further or half-written by the kiosk.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import latest_code
from tests.app.journey import SIZE, Holder, field_values, fields_ready, on, until
from tests.conftest import READER
from tests.faults.conftest import mail_down, service_hanging, service_stopped

pytestmark = pytest.mark.pcsc

Fault = Callable[[DemoWorld], AbstractContextManager[None]]
NEW = "258147"

SERVICE_FAULTS: dict[str, Fault] = {"stopped": service_stopped, "hanging": service_hanging}
STEPS = ["start_unlock", "answers", "code", "cryptogram"]


def outage(state: s.KioskState) -> bool:
    return isinstance(state.screen, s.ServiceUnavailable)


async def finish(alex: Holder, app: KioskApp, pilot: object, code_count: int = 1) -> None:
    """From wherever the journey is, complete it and check the card."""
    state = app.state
    if isinstance(state.screen, s.Questions):
        await fields_ready(pilot, app)
        if not all(field_values(app)):
            await alex.type_answers(state)
        else:
            await pilot.press("enter")  # type: ignore[attr-defined]
        state = await until(pilot, app, on(s.CodeEntry))
    if isinstance(state.screen, s.CodeEntry):
        await fields_ready(pilot, app)
        if not any(field_values(app)):
            await alex.type(latest_code(alex.world, alex.data["email"], code_count))
        await pilot.press("enter")  # type: ignore[attr-defined]
        state = await until(pilot, app, on(s.NewPasscode))
    if isinstance(state.screen, s.NewPasscode):
        await fields_ready(pilot, app)
        if not all(field_values(app)):
            for field in app.screen.query("Input"):
                field.value = ""  # type: ignore[attr-defined]
            app.screen.set_focus(app.screen.query("Input").first())
            await alex.type(NEW)
            await pilot.press("enter")  # type: ignore[attr-defined]
            await alex.type(NEW)
        await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, app, on(s.Unlocked), timeout=30)
    with CardSession.open(READER) as session:
        session.verify(NEW)


@pytest.mark.parametrize("fault", list(SERVICE_FAULTS))
@pytest.mark.parametrize("step", STEPS)
async def test_service_fault_at_each_step(
    world: DemoWorld, kiosk: KioskApp, fault: str, step: str
) -> None:
    assert world.cards is not None
    fault_on = ExitStack()
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot)
        if step == "start_unlock":
            # The kiosk asks the service about a blocked card as soon as it reads it, so
            # the fault is there before the card: that first look fails, the card status
            # screen offers the unlock without one open, and Enter meets the fault.
            fault_on.enter_context(SERVICE_FAULTS[fault](world))
            state = await alex.to_status()
            assert isinstance(state.screen, s.CardStatus) and state.screen.started is None
        elif step == "answers":
            state = await alex.to_questions()
            await alex.type_answers(state, submit=False)
        elif step == "code":
            await alex.to_code()
            await alex.type(latest_code(world, alex.data["email"]))
        else:
            await alex.to_new_passcode()
            await alex.type_new_passcode(NEW, submit=False)
        typed = field_values(kiosk)
        if step != "start_unlock":
            fault_on.enter_context(SERVICE_FAULTS[fault](world))
        with fault_on:
            await pilot.press("enter")
            await until(pilot, kiosk, outage, timeout=20)
            banner = str(kiosk.screen.query_one("#banner").render())
            assert "cannot be reached" in banner
            if step != "cryptogram":  # the write step asks for the passcode again
                assert field_values(kiosk) == typed, "typed input must stay on screen"
            card = world.cards.personalisation("locked")
            assert card.tries_left == 0 and card.pin == alex.data["pin"], "card touched"
        # the kiosk notices by itself that the service is back
        await until(pilot, kiosk, lambda st: not outage(st), timeout=45)
        await finish(alex, kiosk, pilot)


async def test_mail_down_when_the_code_is_sent(world: DemoWorld, kiosk: KioskApp) -> None:
    """The holder is told the code could not be sent, nothing is counted, and they retry."""
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot)
        state = await alex.to_questions()
        await alex.type_answers(state, submit=False)
        with mail_down(world):
            await pilot.press("enter")
            await until(pilot, kiosk, outage, timeout=20)
            banner = str(kiosk.screen.query_one("#banner").render())
            assert "could not send your code just now" in banner
            assert all(field_values(kiosk))
        await until(pilot, kiosk, lambda st: not outage(st), timeout=45)
        state = await until(pilot, kiosk, on(s.Questions))
        assert isinstance(state.screen, s.Questions) and state.screen.attempts_left == 3
        await finish(alex, kiosk, pilot)
