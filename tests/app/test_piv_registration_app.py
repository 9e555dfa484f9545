"""Registering and changing the passcode on a PIV card through the real app (Pilot).

Issue 16: the same journeys, screens and rules as on our own applet. Registration
proves the holder with the card's 9A key after VERIFY; the passcode change is the
PIV CHANGE REFERENCE DATA of the PIN, its wrong tries counted by the card.
"""

from __future__ import annotations

import pytest

from card import piv
from card.piv_applet import PivPersonalisation
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import holder
from tests.app.journey import SIZE, audit_export, card_in_and_choose
from tests.app.test_registration_app import (
    NEW_ANSWERS,
    change_passcode_after_a_run_and_a_wrong_one,
    register_the_card,
    service_holder,
)

pytestmark = pytest.mark.pcsc


async def test_register_the_unregistered_piv_holder(world: DemoWorld, kiosk: KioskApp) -> None:
    chris = holder(world, "piv-unregistered")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        code = await register_the_card(pilot, kiosk, world, "piv-unregistered", NEW_ANSWERS)
    shown = service_holder(world, chris["uuid"])
    assert shown["registered"] is True and shown["question_ids"] == sorted(NEW_ANSWERS)
    exported = audit_export(world)
    for secret in (chris["pin"], chris["puk"], code, *NEW_ANSWERS.values()):
        assert secret not in exported
    card = world.cards.personalisation("piv-unregistered")
    assert isinstance(card, PivPersonalisation) and card.pin_tries_left == 3


async def test_change_the_passcode_of_a_working_piv_card(world: DemoWorld, kiosk: KioskApp) -> None:
    maya = holder(world, "piv-working")
    new = "274816"
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await card_in_and_choose(pilot, kiosk, world, "piv-working", "2", s.ChangePasscode)
        card = world.cards.personalisation("piv-working")
        assert isinstance(card, PivPersonalisation)
        await change_passcode_after_a_run_and_a_wrong_one(
            pilot, kiosk, maya["pin"], new, lambda: card.pin_tries_left
        )
    assert card.pin_tries_left == 3 and card.pin.matches(piv.encode_reference(new))
