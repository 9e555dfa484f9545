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
from tests.app.conftest import holder, latest_code
from tests.e2e.test_tmux_resume import kill_kiosk, reach_code_step
from tests.e2e.test_tmux_unlock import Terminal, kiosk_command
from tests.faults.test_piv_write_faults import Stall, stalling
from tests.support import wait_for

pytestmark = pytest.mark.pcsc
NEW = "369258"


@pytest.fixture
def stall() -> Iterator[Stall]:
    yield from stalling(Stall(piv.Ins.RESET_RETRY_COUNTER, piv.PIN_REF, applied=False))


def test_kill_during_the_piv_card_write(world: DemoWorld, tmp_path: Path, stall: Stall) -> None:
    jordan = holder(world, "piv-locked")
    assert world.cards is not None
    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    first = Terminal("first", command, env)
    try:
        reach_code_step(world, first, key="piv-locked")
        first.type(latest_code(world, jordan["email"]))
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
    card = world.cards.personalisation("piv-locked")
    assert isinstance(card, PivPersonalisation)
    assert card.pin_blocked and card.pin.matches(piv.encode_reference(jordan["pin"]))
    assert card.puk_tries_left == 3
    second = Terminal("second", command, env)
    try:
        second.wait_text("Choose a new passcode")
        for _ in range(2):
            second.type(NEW)
            second.keys("Enter")
        second.wait_text("Your card is unlocked", timeout=30)
    finally:
        second.close()
    assert not card.pin_blocked and card.pin.matches(piv.encode_reference(NEW))
    assert card.puk_tries_left == 3
