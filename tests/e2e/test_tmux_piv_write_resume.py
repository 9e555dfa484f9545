"""kill -9 while a PIV card is being unblocked (RESET RETRY COUNTER with the card),
then started again with the card still in: the card is consistent (still blocked,
old passcode, its PUK one the service knows), the kiosk resumes at the new passcode,
and the unlock completes, the PUK counter full at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from card import piv
from card.piv_applet import PivPersonalisation
from demo.world import DemoWorld
from tests.app.conftest import holder
from tests.e2e.terminal import kill_during_the_card_write, resume_at_the_new_passcode
from tests.faults.test_piv_write_faults import Stall, stalling

pytestmark = pytest.mark.pcsc
NEW = "369258"


@pytest.fixture
def stall() -> Iterator[Stall]:
    yield from stalling(Stall(piv.Ins.RESET_RETRY_COUNTER, piv.PIN_REF, applied=False))


def test_kill_during_the_piv_card_write(world: DemoWorld, tmp_path: Path, stall: Stall) -> None:
    jordan = holder(world, "piv-locked")
    assert world.cards is not None
    store = tmp_path / "kiosk.sqlite"
    kill_during_the_card_write(world, store, "piv-locked", NEW, stall.reached.is_set)
    stall.release.set()
    card = world.cards.personalisation("piv-locked")
    assert isinstance(card, PivPersonalisation)
    assert card.pin_blocked and card.pin.matches(piv.encode_reference(jordan["pin"]))
    assert card.puk_tries_left == 3
    resume_at_the_new_passcode(world, store, NEW)
    assert not card.pin_blocked and card.pin.matches(piv.encode_reference(NEW))
    assert card.puk_tries_left == 3
