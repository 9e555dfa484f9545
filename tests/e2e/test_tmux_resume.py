"""Killed mid-journey (kill -9) and started again with the card still in: the kiosk
resumes at the same step; with the card removed meanwhile, it starts afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.world import DemoWorld
from kiosk.store import LocalStore
from tests.app.conftest import holder, latest_code
from tests.conftest import reader_has_card
from tests.e2e.terminal import kill_kiosk, kiosk_terminal, reach_code_step
from tests.support import wait_for

pytestmark = pytest.mark.pcsc


@pytest.mark.parametrize("card_still_in", [True, False])
def test_kill_and_restart(world: DemoWorld, tmp_path: Path, card_still_in: bool) -> None:
    store = tmp_path / "kiosk.sqlite"
    with kiosk_terminal("first", world, store) as first:
        reach_code_step(world, first)
        kill_kiosk(first)
    assert world.cards is not None
    if not card_still_in:
        world.cards.remove()
        wait_for(lambda: reader_has_card(False), what="removal")
    with kiosk_terminal("second", world, store) as second:
        if card_still_in:
            second.wait_text("Check your email")
            # and the journey goes on: the code from the mail is accepted
            alex = holder(world, "locked")
            second.enter(latest_code(world, alex["email"]))
            second.wait_text("Choose a new passcode")
        else:
            second.wait_text("Insert your smartcard")
            world.cards.insert("locked")
            second.wait_text("Your card is locked")
            check = LocalStore(store)
            try:
                wait_for(lambda: check.load_checkpoint() is None, what="the checkpoint wiped")
            finally:
                check.close()


@pytest.mark.parametrize("step", ["questions", "new_passcode"])
def test_kill_at_other_steps_resumes_there(world: DemoWorld, tmp_path: Path, step: str) -> None:
    """kill -9 at the questions or the new-passcode step, card still in: back at that step."""
    alex = holder(world, "locked")
    assert world.cards is not None
    store = tmp_path / "kiosk.sqlite"
    with kiosk_terminal("first", world, store) as first:
        if step == "questions":
            first.wait_text("Insert your smartcard")
            world.cards.insert("locked")
            first.wait_text("Your card is locked")
            first.keys("Enter")
            first.wait_text("Answer your security questions")
            expected = "Answer your security questions"
        else:
            reach_code_step(world, first)
            first.enter(latest_code(world, alex["email"]))
            first.wait_text("Choose a new passcode")
            expected = "Choose a new passcode"
        kill_kiosk(first)
    with kiosk_terminal("second", world, store) as second:
        second.wait_text(expected)
        if step == "new_passcode":
            second.enter("369258", "369258")
            second.wait_text("Your card is unlocked", timeout=30)
