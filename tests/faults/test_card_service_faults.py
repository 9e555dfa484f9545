"""Fault matrix, card side (docs/reliability.md): pcscd killed and restarted, and the
reader gone and back, in the middle of an unlock.

Expected: the kiosk says plainly that the card reader service / reader is not
available, wipes what was typed, keeps the journey's checkpoint, and when the
reader is back with the same card still in, resumes at the same step; the card is
untouched.
"""

from __future__ import annotations

import pytest

from card.pcscd import PrivatePcscd
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.journey import SIZE, Holder, field_values, on, until
from tests.faults.cards import assert_card_holds, card_key
from tests.faults.reader import give_the_reader_back, reader_fault_cells, take_the_reader_away

pytestmark = pytest.mark.pcsc


STEPS = {"to_questions": s.Questions, "to_code": s.CodeEntry, "to_new_passcode": s.NewPasscode}


@pytest.mark.parametrize(("profile", "fault", "step"), reader_fault_cells(STEPS))
async def test_card_service_fault_mid_journey_resumes_with_the_same_card(
    world: DemoWorld,
    kiosk: KioskApp,
    live_pcscd: PrivatePcscd,
    profile: str,
    fault: str,
    step: str,
) -> None:
    assert world.cards is not None
    key = card_key(profile, "locked")
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot, key=key)
        await getattr(alex, step)()
        await alex.type("1234")
        code_screen = kiosk.screen
        await take_the_reader_away(pilot, kiosk, live_pcscd, fault)
        if fault == "pcscd_killed":
            assert not any(f.value for f in code_screen.query("Input")), "inputs not wiped"
        give_the_reader_back(live_pcscd, fault)
        # the virtual card reconnects to vpcd like a card that stayed in the reader
        await until(pilot, kiosk, on(STEPS[step]), timeout=30)
        assert kiosk.store.load_checkpoint() is not None
        assert not any(field_values(kiosk))
        assert_card_holds(world, key, alex.data["pin"], blocked=True)
