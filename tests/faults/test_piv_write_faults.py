"""Fault matrix, the PIV card write: the card pulled at each APDU of the unblock.

A PIV unblock is RESET RETRY COUNTER with the escrowed PUK, then CHANGE REFERENCE
DATA of the PUK to the fresh one the service recorded before releasing it. Pulled
at either, the card holds a PUK the service knows (the old one, or the fresh one),
and the next unblock finds out which spending at most one PUK try, refilled at
once: the PUK counter ends full, the card unlocked with the new passcode. When the
card still holds the old PUK (pulled before the rotation reached it, the commonest
case) finding out costs no try at all: the kiosk tries the old PUK first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from card import piv
from card.piv_applet import PivApplet, PivPersonalisation
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.journey import SIZE, Holder, on, until
from tests.faults.cards import assert_card_holds, escrowed_puk_count
from tests.faults.stall import holding

pytestmark = pytest.mark.pcsc
NEW = "258147"
AGAIN = "369258"


@dataclass
class Stall:
    """One command held at the card until `release` (the card is being pulled)."""

    ins: int
    p2: int
    applied: bool
    """Whether the card carried the command out before it was pulled."""
    tries_to_settle: int = 1
    """The PUK tries the next unblock may spend finding out which PUK the card holds."""
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def stalling(held: Stall) -> Iterator[Stall]:
    """`held`'s command (its INS and P2) held at a PIV card."""

    def matches(command: bytes) -> bool:
        return len(command) > 3 and (command[1], command[3]) == (held.ins, held.p2)

    yield from holding(PivApplet, held, matches, applied=held.applied)


CASES = {
    # The card still holds the old PUK: settling costs nothing.
    "reset_retry_counter": (piv.Ins.RESET_RETRY_COUNTER, piv.PIN_REF, False, 0),
    "rotation_not_reached": (piv.Ins.CHANGE_REFERENCE_DATA, piv.PUK_REF, False, 0),
    # The card took the fresh PUK: one try spent learning it, refilled at once.
    "rotation_reached": (piv.Ins.CHANGE_REFERENCE_DATA, piv.PUK_REF, True, 1),
}


@pytest.fixture(params=sorted(CASES))
def stall(request: pytest.FixtureRequest) -> Iterator[Stall]:
    ins, p2, applied, tries = CASES[request.param]
    yield from stalling(Stall(ins, p2, applied, tries))


async def test_piv_card_pulled_during_the_unblock(
    world: DemoWorld, kiosk: KioskApp, stall: Stall
) -> None:
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        jordan = Holder(world, kiosk, pilot, key="piv-locked")
        await jordan.to_new_passcode()
        await jordan.type_new_passcode(NEW)
        await until(pilot, kiosk, lambda _: stall.reached.is_set(), timeout=20)
        await jordan.pull_card()
        stall.release.set()
        card = world.cards.personalisation("piv-locked")
        assert isinstance(card, PivPersonalisation)
        assert card.puk_tries_left == 3
        held, pending = escrowed_puk_count(world, card)
        assert held == 1 and pending, "the card's PUK is not one the service holds"
        if stall.ins == piv.Ins.CHANGE_REFERENCE_DATA:
            # The PIN was unblocked before the pull: the holder's new passcode works.
            # Lock it again by hand, so the next unlock meets the unreported rotation.
            assert card.pin.matches(piv.encode_reference(NEW))
            card.pin_tries_left = 0
        else:
            assert card.pin_blocked and card.pin.matches(piv.encode_reference(jordan.data["pin"]))
        # Inserted again: a new unlock, start to finish; settling costs at most one PUK
        # try, refilled at once.
        await jordan.to_code()
        await jordan.enter_code(code_count=2)
        tries_before = card.puk_tries_left
        lowest = [card.puk_tries_left]
        process = PivApplet.process

        def counted(self: PivApplet, command: bytes) -> bytes:
            answer = process(self, command)
            lowest.append(self.card.puk_tries_left)
            return answer

        PivApplet.process = counted  # type: ignore[method-assign]
        try:
            await jordan.type_new_passcode(AGAIN)
            await until(pilot, kiosk, on(s.Unlocked), timeout=30)
        finally:
            PivApplet.process = process  # type: ignore[method-assign]
    assert tries_before == 3 and card.puk_tries_left == 3
    # No PUK try spent when the card held the old PUK, one at most when it held the
    # fresh one.
    assert min(lowest) >= 3 - stall.tries_to_settle, lowest
    assert not card.pin_blocked and card.pin.matches(piv.encode_reference(AGAIN))
    # ... and the rotation reported: the service knows the PUK, nothing pending.
    assert_card_holds(world, "piv-locked", AGAIN, blocked=False)
