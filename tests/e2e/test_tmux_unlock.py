"""End to end: `ssu-kiosk` in a real terminal (tmux), driven by keys like a holder.

Real parts throughout: the kiosk process talks to a private pcscd with the vpcd
reader holding the demo locked card, to the unlock service over HTTP on
loopback, and the code is read from what the real SMTP server received. At the
end `card/` checks that the card accepts the new passcode, and the kiosk's store,
its log and every captured screen are scanned for the secrets used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER
from tests.e2e.terminal import (
    Terminal,
    assert_nothing_kept_or_shown,
    kiosk_terminal,
    reach_code_step,
)

pytestmark = pytest.mark.pcsc

NEW_PASSCODE = "368142"


@pytest.fixture
def terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    with kiosk_terminal("kiosk", world, tmp_path / "kiosk.sqlite") as term:
        yield term


def test_unlock_in_a_real_terminal(world: DemoWorld, terminal: Terminal, tmp_path: Path) -> None:
    alex = holder(world, "locked")
    assert world.cards is not None
    terminal.wait_text("Insert your smartcard")
    # Lock-down: none of these keys gets the holder out of the app.
    for key in ("C-c", "C-q", "C-p", "C-z", "C-\\"):
        terminal.keys(key)
    terminal.wait_text("Insert your smartcard")

    # the fields are in the order the questions are shown
    reach_code_step(world, terminal)
    code = latest_code(world, alex["email"])
    terminal.type(code)
    # The code shows as typed, in groups of four, to check against the email.
    grouped = f"{code[:4]} {code[4:]}"
    terminal.wait_text(grouped)
    terminal.keys("Enter")
    terminal.wait_text("Choose a new passcode")
    left_code_screen = len(terminal.screens)
    terminal.enter(NEW_PASSCODE, NEW_PASSCODE)
    terminal.wait_text("Your card is unlocked", timeout=30)

    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)

    secrets = [NEW_PASSCODE, code, *alex["answers"].values()]
    assert_nothing_kept_or_shown(terminal, secrets, tmp_path)
    for shown in terminal.screens[left_code_screen - 1 :]:
        assert grouped not in shown, "the code stayed on screen after its screen was left"
