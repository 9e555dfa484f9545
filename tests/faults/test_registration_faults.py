"""Fault matrix, registration (docs/reliability.md): the service stopped or hanging
while the holder registers, at each step that calls it.

Expected: the outage banner over the step, typed input kept, the kiosk retries by
itself, and once the service is back the registration completes: the holder is
registered with the new questions.
"""

from __future__ import annotations

from typing import Any

import pytest

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import holder, latest_code
from tests.app.journey import SIZE, field_values, fields_ready, on, until
from tests.app.test_registration_app import (
    NEW_ANSWERS,
    choose,
    service_holder,
    to_contact_details,
    type_registration_answers,
)
from tests.faults.conftest import mail_down
from tests.faults.test_service_faults import SERVICE_FAULTS, Fault

pytestmark = pytest.mark.pcsc

STEPS = ["contact_details", "answers", "code"]


def outage(state: s.KioskState) -> bool:
    return isinstance(state.screen, s.ServiceUnavailable)


async def through_fault(
    pilot: Any, app: KioskApp, world: DemoWorld, screen: type, fault: Fault
) -> None:
    """Press Enter during the fault; see the banner with the input kept; recover."""
    typed = field_values(app)
    with fault(world):
        await pilot.press("enter")
        await until(pilot, app, outage, timeout=20)
        assert field_values(app) == typed
    await until(pilot, app, lambda st: not outage(st), timeout=45)
    await until(pilot, app, on(screen))
    if not field_values(app) or not all(field_values(app)):
        return  # the step asks again; the caller types it
    await pilot.press("enter")  # send again, as the notice says


FAULTS: dict[str, Fault] = {**SERVICE_FAULTS, "mail_down": mail_down}
CELLS = [(step, fault) for step in STEPS for fault in SERVICE_FAULTS] + [("answers", "mail_down")]


@pytest.mark.parametrize(("step", "fault"), CELLS)
async def test_service_fault_while_registering(
    world: DemoWorld, kiosk: KioskApp, step: str, fault: str
) -> None:
    inject = FAULTS[fault]
    sam = holder(world, "unregistered")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await until(pilot, kiosk, on(s.WaitingForCard))
        world.cards.insert("unregistered")
        await to_contact_details(pilot, kiosk, sam)
        await pilot.press(*sam["email"], "enter", *"07700 900 003")
        if step == "contact_details":
            await through_fault(pilot, kiosk, world, s.ContactDetails, inject)
            if isinstance(kiosk.state.screen, s.PasscodeEntry):
                # the holder key needs the passcode verified again in a new session
                await fields_ready(pilot, kiosk)
                await pilot.press(*sam["pin"], "enter")
        else:
            await pilot.press("enter")
        await choose(pilot, kiosk, list(NEW_ANSWERS))
        await type_registration_answers(pilot, kiosk, NEW_ANSWERS, again=str.upper, submit=False)
        if step == "answers":
            await through_fault(pilot, kiosk, world, s.RegistrationAnswers, inject)
        else:
            await pilot.press("enter")
        await until(pilot, kiosk, on(s.RegistrationCodeEntry))
        await fields_ready(pilot, kiosk)
        await pilot.press(*latest_code(world, sam["email"]))
        if step == "code":
            await through_fault(pilot, kiosk, world, s.RegistrationCodeEntry, inject)
        else:
            await pilot.press("enter")
        await until(pilot, kiosk, on(s.Registered), timeout=30)
    shown = service_holder(world, sam["uuid"])
    assert shown.get("registered") is True, shown
