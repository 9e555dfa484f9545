"""Fault matrix, registration: the card pulled at every registration step.

Expected: the session ends with the "card removed" notice, every input is wiped,
no checkpoint stays behind, and the holder is not registered (the old state holds).
"""

from __future__ import annotations

import pytest

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import latest_code
from tests.app.journey import SIZE, card_in_and_choose, fields_ready, on, until
from tests.app.test_registration_app import (
    NEW_ANSWERS,
    choose,
    service_holder,
    type_registration_answers,
)
from tests.faults.cards import assert_card_holds, card_and_holder, on_both_profiles

pytestmark = pytest.mark.pcsc

STEPS = ["passcode", "terms", "contact_details", "questions", "answers", "code"]
# On a PIV card, the steps where the card is at work (VERIFY; the 9A holder proof
# when the contact details are sent) and the last one: at terms, questions and
# answers the card is idle, and the flow that ends the session is the own rows'.
PIV_STEPS = ["passcode", "contact_details", "code"]


@pytest.mark.parametrize(
    ("profile", "step"),
    on_both_profiles([(step,) for step in STEPS], [(step,) for step in PIV_STEPS]),
)
async def test_card_removed_at_every_registration_step(
    world: DemoWorld, kiosk: KioskApp, profile: str, step: str
) -> None:
    key, sam = card_and_holder(world, profile, "unregistered")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await card_in_and_choose(pilot, kiosk, world, key, "1", s.PasscodeEntry)
        if step != "passcode":
            await pilot.press(*sam["pin"], "enter")
            await until(pilot, kiosk, on(s.Terms))
        if step not in ("passcode", "terms"):
            await pilot.press("pagedown", "enter")
            await until(pilot, kiosk, on(s.ContactDetails))
            await fields_ready(pilot, kiosk)
            await pilot.press(*sam["email"], "enter", *"07700 900 003")
        if step in ("questions", "answers", "code"):
            await pilot.press("enter")
            if step == "questions":
                await until(pilot, kiosk, on(s.ChooseQuestions))
                await pilot.press("space")
            else:
                await choose(pilot, kiosk, list(NEW_ANSWERS))
                await type_registration_answers(pilot, kiosk, NEW_ANSWERS, submit=step == "code")
                if step == "code":
                    await until(pilot, kiosk, on(s.RegistrationCodeEntry))
                    await fields_ready(pilot, kiosk)
                    await pilot.press(*latest_code(world, sam["email"])[:4])
        elif step == "passcode":
            await pilot.press(*sam["pin"][:3])
        typed_on = kiosk.screen
        world.cards.remove()
        await until(pilot, kiosk, on(s.CardRemovedNotice))
        assert kiosk.state.card is None and kiosk.state.journey is None
        assert all(not f.value for f in typed_on.query("Input")), "inputs not wiped"
        await until(pilot, kiosk, lambda _: kiosk.store.load_checkpoint() is None)
    assert service_holder(world, sam["uuid"]).get("registered") is False
    assert_card_holds(world, key, sam["pin"], blocked=False)
