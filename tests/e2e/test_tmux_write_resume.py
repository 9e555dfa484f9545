"""kill -9 while the card is being written (RESET RETRY COUNTER with the card), then
started again with the card still in: the card is consistent (still blocked, old
passcode), the kiosk resumes at the new passcode, and the unlock completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder
from tests.conftest import READER
from tests.e2e.terminal import kill_during_the_card_write, resume_at_the_new_passcode
from tests.faults.stall import Stall
from tests.faults.test_card_write_faults import stall

__all__ = ["stall"]  # the fixture, shared with the app-level write fault test
pytestmark = pytest.mark.pcsc
NEW = "369258"


def test_kill_during_the_card_write(world: DemoWorld, tmp_path: Path, stall: Stall) -> None:
    alex = holder(world, "locked")
    assert world.cards is not None
    store = tmp_path / "kiosk.sqlite"
    card = kill_during_the_card_write(world, store, "locked", NEW, stall)
    assert card.tries_left == 0 and card.pin == alex["pin"], "card half-written"
    resume_at_the_new_passcode(world, store, NEW)
    with CardSession.open(READER) as session:
        session.verify(NEW)
