"""Fault matrix, the card write: the card pulled while RESET RETRY COUNTER is with it.

Expected: the kiosk says the card was removed and ends the session; the card is
consistent (still blocked with its old passcode: the command never completed);
inserted again, the holder starts a new unlock and finishes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from card import apdu
from card.applet import Applet
from card.reader import CardSession
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.journey import SIZE, Holder, on, until
from tests.conftest import READER
from tests.faults.stall import Stall, holding

pytestmark = pytest.mark.pcsc
NEW = "258147"


@pytest.fixture
def stall() -> Iterator[Stall]:
    """RESET RETRY COUNTER is held at the card until `release` (a card being pulled)."""

    def reset_retry_counter(command: bytes) -> bool:
        return len(command) > 1 and command[1] == apdu.Ins.RESET_RETRY_COUNTER

    yield from holding(Applet, Stall(), reset_retry_counter)


async def test_card_pulled_during_the_write(
    world: DemoWorld, kiosk: KioskApp, stall: Stall
) -> None:
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot)
        await alex.to_new_passcode()
        await alex.type_new_passcode(NEW)
        await until(pilot, kiosk, lambda _: stall.reached.is_set(), timeout=20)
        await alex.pull_card()
        card = world.cards.personalisation("locked")
        assert card.tries_left == 0 and card.pin == alex.data["pin"], "card half-written"
        stall.release.set()
        # inserted again: a new unlock, start to finish
        await alex.to_code()
        await alex.enter_code(code_count=2)
        await alex.type_new_passcode(NEW)
        await until(pilot, kiosk, on(s.Unlocked), timeout=30)
    with CardSession.open(READER) as session:
        session.verify(NEW)
