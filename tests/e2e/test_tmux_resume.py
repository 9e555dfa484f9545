"""Killed mid-journey (kill -9) and started again with the card still in: the kiosk
resumes at the same step; with the card removed meanwhile, it starts afresh."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from demo.world import DemoWorld
from kiosk.store import LocalStore
from tests.app.conftest import holder, latest_code
from tests.conftest import reader_has_card
from tests.e2e.test_tmux_unlock import QUESTIONS, Terminal, kiosk_command
from tests.support import wait_for

pytestmark = pytest.mark.pcsc


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def kill_kiosk(term: Terminal) -> None:
    """kill -9 the kiosk process (the child of the pane's shell)."""
    kiosk_pid = wait_for(lambda: _children(term.pid()), what="the kiosk process")[0]
    os.kill(kiosk_pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{kiosk_pid}").exists(), what="the kiosk to die")


def reach_code_step(world: DemoWorld, term: Terminal, key: str = "locked") -> None:
    alex = holder(world, key)
    assert world.cards is not None
    term.wait_text("Insert your smartcard")
    world.cards.insert(key)
    term.wait_text("Your card is locked")
    term.keys("Enter")
    screen = term.wait_text("Answer your security questions")
    asked = sorted(
        (qid for text, qid in QUESTIONS.items() if text in screen),
        key=lambda qid: screen.index(next(t for t, i in QUESTIONS.items() if i == qid)),
    )
    for qid in asked:
        term.type(alex["answers"][qid])
        term.keys("Enter")
    term.wait_text("Check your email")


@pytest.mark.parametrize("card_still_in", [True, False])
def test_kill_and_restart(world: DemoWorld, tmp_path: Path, card_still_in: bool) -> None:
    store = tmp_path / "kiosk.sqlite"
    command, env = kiosk_command(world, store)
    first = Terminal("first", command, env)
    try:
        reach_code_step(world, first)
        kill_kiosk(first)
    finally:
        first.close()
    assert world.cards is not None
    if not card_still_in:
        world.cards.remove()
        wait_for(lambda: reader_has_card(False), what="removal")
    second = Terminal("second", command, env)
    try:
        if card_still_in:
            second.wait_text("Check your email")
            # and the journey goes on: the code from the mail is accepted
            alex = holder(world, "locked")
            second.type(latest_code(world, alex["email"]))
            second.keys("Enter")
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
    finally:
        second.close()


@pytest.mark.parametrize("step", ["questions", "new_passcode"])
def test_kill_at_other_steps_resumes_there(world: DemoWorld, tmp_path: Path, step: str) -> None:
    """kill -9 at the questions or the new-passcode step, card still in: back at that step."""
    alex = holder(world, "locked")
    assert world.cards is not None
    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    first = Terminal("first", command, env)
    try:
        if step == "questions":
            first.wait_text("Insert your smartcard")
            world.cards.insert("locked")
            first.wait_text("Your card is locked")
            first.keys("Enter")
            first.wait_text("Answer your security questions")
            expected = "Answer your security questions"
        else:
            reach_code_step(world, first)
            first.type(latest_code(world, alex["email"]))
            first.keys("Enter")
            first.wait_text("Choose a new passcode")
            expected = "Choose a new passcode"
        kill_kiosk(first)
    finally:
        first.close()
    second = Terminal("second", command, env)
    try:
        second.wait_text(expected)
        if step == "new_passcode":
            second.type("369258")
            second.keys("Enter")
            second.type("369258")
            second.keys("Enter")
            second.wait_text("Your card is unlocked", timeout=30)
    finally:
        second.close()
