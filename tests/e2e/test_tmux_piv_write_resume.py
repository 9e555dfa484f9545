"""kill -9 while a PIV card is being unblocked, then started again with the card
still in.

Killed during RESET RETRY COUNTER: the card is consistent (still blocked, old
passcode, its PUK one the service knows), the kiosk resumes at the new passcode,
and the unlock completes, the PUK counter full at the end.

Killed after the card was unblocked, during the PUK rotation (before or after the
card took the fresh PUK), so before the rotation was reported: the card works with
the new passcode, and the restarted kiosk, finding the card working with its unlock
saved at the write, settles the PUK at once: the card ends on the PUK the service
recorded, nothing pending, its PUK counter full, and the PUK released to the
killed kiosk no longer works on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from card import piv
from card.piv_applet import PivPersonalisation
from demo.world import DemoWorld
from tests.app.conftest import holder
from tests.e2e.terminal import kill_during_the_card_write, kiosk_terminal
from tests.faults.cards import escrowed_puk_count
from tests.faults.test_piv_write_faults import Stall, stalling
from tests.support import wait_for

pytestmark = pytest.mark.pcsc
NEW = "369258"

CASES = {
    "reset_retry_counter": (piv.Ins.RESET_RETRY_COUNTER, piv.PIN_REF, False),
    "rotation_not_reached": (piv.Ins.CHANGE_REFERENCE_DATA, piv.PUK_REF, False),
    "rotation_reached": (piv.Ins.CHANGE_REFERENCE_DATA, piv.PUK_REF, True),
}


@pytest.fixture(params=sorted(CASES))
def stall(request: pytest.FixtureRequest) -> Iterator[Stall]:
    ins, p2, applied = CASES[request.param]
    yield from stalling(Stall(ins, p2, applied=applied))


def test_kill_during_the_piv_card_write(world: DemoWorld, tmp_path: Path, stall: Stall) -> None:
    jordan = holder(world, "piv-locked")
    assert world.cards is not None
    store = tmp_path / "kiosk.sqlite"
    card = kill_during_the_card_write(world, store, "piv-locked", NEW, stall)
    assert isinstance(card, PivPersonalisation)
    assert card.puk_tries_left == 3
    assert escrowed_puk_count(world, card) == (1, True), "a PUK the service knows"
    released = piv.encode_reference(jordan["puk"])  # the demo PUK, released to the kiosk
    with kiosk_terminal("second", world, store) as second:
        if stall.ins == piv.Ins.RESET_RETRY_COUNTER:
            assert card.pin_blocked and card.pin.matches(piv.encode_reference(jordan["pin"]))
            second.wait_text("Choose a new passcode")
            second.enter(NEW, NEW)
            second.wait_text("Your card is unlocked", timeout=30)
        else:
            # The unblock reached the card: it works with the new passcode.
            assert not card.pin_blocked and card.pin.matches(piv.encode_reference(NEW))
            second.wait_text("Your card is working")
            wait_for(
                lambda: escrowed_puk_count(world, card) == (1, False),
                timeout=20,
                what="the restarted kiosk to settle the PUK",
            )
            wait_for(lambda: card.puk_tries_left == 3, what="the PUK counter refilled")
    assert not card.pin_blocked and card.pin.matches(piv.encode_reference(NEW))
    assert card.puk_tries_left == 3
    assert escrowed_puk_count(world, card) == (1, False)
    assert not card.puk.matches(released), "the PUK released to a kiosk still works"
