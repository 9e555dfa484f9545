"""Fault matrix, change passcode: the card pulled, or pcscd killed, with the old and
new passcodes typed but not sent.

Expected: the screen says what happened, every input is wiped, and the card keeps
its old passcode and all its tries (nothing reached it).
"""

from __future__ import annotations

import pytest

from card.pcscd import PrivatePcscd
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.journey import SIZE, card_in_and_choose, on, until
from tests.faults.cards import PROFILES, assert_card_holds, card_and_holder
from tests.faults.reader import give_the_reader_back, take_the_reader_away

pytestmark = pytest.mark.pcsc


@pytest.mark.parametrize("fault", ["card_removed", "pcscd_killed"])
@pytest.mark.parametrize("profile", PROFILES)
async def test_fault_on_the_change_passcode_screen(
    world: DemoWorld, kiosk: KioskApp, live_pcscd: PrivatePcscd, profile: str, fault: str
) -> None:
    key, bo = card_and_holder(world, profile, "working")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await card_in_and_choose(pilot, kiosk, world, key, "2", s.ChangePasscode)
        await pilot.press(*bo["pin"], "enter", *"274816", "enter", *"2748")
        typed_on = kiosk.screen
        if fault == "card_removed":
            world.cards.remove()
            await until(pilot, kiosk, on(s.CardRemovedNotice))
        else:
            await take_the_reader_away(pilot, kiosk, live_pcscd, fault)
            give_the_reader_back(live_pcscd, fault)
            await until(pilot, kiosk, on(s.CardStatus), timeout=30)
        assert all(not f.value for f in typed_on.query("Input")), "inputs not wiped"
    assert_card_holds(world, key, bo["pin"], blocked=False)
