"""Fault matrix, registration: pcscd killed, or the reader gone, once the service
has a registration open (the answers and code steps).

Expected: the kiosk says the card reader is not available and wipes what was
typed; with the same card still in when the reader is back, the registration
resumes (at the code step there; before the answers are accepted, at choosing the
questions, which the checkpoint does not keep) and completes.
"""

from __future__ import annotations

import pytest

from card.pcscd import PrivatePcscd
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import latest_code
from tests.app.journey import SIZE, field_values, fields_ready, insert_card, on, until
from tests.app.test_registration_app import (
    NEW_ANSWERS,
    choose,
    service_holder,
    to_contact_details,
    type_registration_answers,
)
from tests.faults.cards import assert_card_holds, card_and_holder
from tests.faults.reader import give_the_reader_back, reader_fault_cells, take_the_reader_away

pytestmark = pytest.mark.pcsc


STEPS = ["answers", "code"]


@pytest.mark.parametrize(("profile", "fault", "step"), reader_fault_cells(STEPS))
async def test_card_service_fault_while_registering(
    world: DemoWorld,
    kiosk: KioskApp,
    live_pcscd: PrivatePcscd,
    profile: str,
    fault: str,
    step: str,
) -> None:
    key, sam = card_and_holder(world, profile, "unregistered")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await insert_card(pilot, kiosk, world, key)
        await to_contact_details(pilot, kiosk, sam)
        await pilot.press(*sam["email"], "enter", *"07700 900 003", "enter")
        await choose(pilot, kiosk, list(NEW_ANSWERS))
        # The checkpoint keeps ids and counts, not the questions chosen: a resume
        # before the answers were accepted goes back to choosing them.
        expected: type = s.ChooseQuestions
        if step == "code":
            await type_registration_answers(pilot, kiosk, NEW_ANSWERS)
            await until(pilot, kiosk, on(s.RegistrationCodeEntry))
            expected = s.RegistrationCodeEntry
        else:
            await until(pilot, kiosk, on(s.RegistrationAnswers))
        await fields_ready(pilot, kiosk)
        await pilot.press(*"abcd")
        await take_the_reader_away(pilot, kiosk, live_pcscd, fault)
        give_the_reader_back(live_pcscd, fault)
        await until(pilot, kiosk, on(expected), timeout=30)
        if step == "code":
            assert not any(field_values(kiosk)), "inputs not wiped"
        if step == "answers":
            await choose(pilot, kiosk, list(NEW_ANSWERS))
            await type_registration_answers(pilot, kiosk, NEW_ANSWERS)
            await until(pilot, kiosk, on(s.RegistrationCodeEntry))
            await fields_ready(pilot, kiosk)
        await pilot.press(*latest_code(world, sam["email"]), "enter")
        await until(pilot, kiosk, on(s.Registered), timeout=30)
    assert service_holder(world, sam["uuid"]).get("registered") is True
    assert_card_holds(world, key, sam["pin"], blocked=False)
