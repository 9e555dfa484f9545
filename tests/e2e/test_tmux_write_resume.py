"""kill -9 while the card is being written (RESET RETRY COUNTER with the card), then
started again with the card still in: the card is consistent (still blocked, old
passcode), the kiosk resumes at the new passcode, and the unlock completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER
from tests.e2e.test_tmux_resume import kill_kiosk, reach_code_step
from tests.e2e.test_tmux_unlock import Terminal, kiosk_command
from tests.faults.test_card_write_faults import Stall, stall
from tests.support import wait_for

__all__ = ["stall"]  # the fixture, shared with the app-level write fault test
pytestmark = pytest.mark.pcsc
NEW = "369258"


def test_kill_during_the_card_write(world: DemoWorld, tmp_path: Path, stall: Stall) -> None:
    alex = holder(world, "locked")
    assert world.cards is not None
    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    first = Terminal("first", command, env)
    try:
        reach_code_step(world, first)
        first.type(latest_code(world, alex["email"]))
        first.keys("Enter")
        first.wait_text("Choose a new passcode")
        for _ in range(2):
            first.type(NEW)
            first.keys("Enter")
        wait_for(stall.reached.is_set, timeout=20, what="the write to reach the card")
        kill_kiosk(first)
    finally:
        first.close()
    stall.release.set()
    card = world.cards.personalisation("locked")
    assert card.tries_left == 0 and card.pin == alex["pin"], "card half-written"
    second = Terminal("second", command, env)
    try:
        second.wait_text("Choose a new passcode")
        for _ in range(2):
            second.type(NEW)
            second.keys("Enter")
        second.wait_text("Your card is unlocked", timeout=30)
    finally:
        second.close()
    with CardSession.open(READER) as session:
        session.verify(NEW)
