"""End to end on a PIV card: `ssu-kiosk` in a real terminal (tmux) unlocks a locked
virtual PIV card (issue 16, "done when").

The same keys and screens as for our own applet. Afterwards OpenSC verifies the new
PIN on the card, and the PUK that reached the kiosk no longer unblocks it (the
service rotated it during the unblock); the kiosk's store, log and every screen
captured hold none of the secrets, the PUKs included.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from demo.world import DemoWorld
from tests.app.conftest import latest_code
from tests.e2e.terminal import Terminal, assert_nothing_kept_or_shown, reach_code_step
from tests.e2e.test_tmux_unlock import terminal
from tests.secrecy import recording_puks, scan

pytestmark = pytest.mark.pcsc

NEW_PASSCODE = "368142"
__all__ = ["terminal"]  # the fixture, shared with the own-applet test


def pkcs15(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home), OPENSC_DEBUG="0")
    return subprocess.run(
        ["pkcs15-tool", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_unlock_a_piv_card_in_a_real_terminal(
    world: DemoWorld, terminal: Terminal, tmp_path: Path
) -> None:
    jordan = next(h for h in world.demo_data["piv_holders"] if h["key"] == "piv-locked")
    assert world.cards is not None
    terminal.wait_text("Insert your smartcard")
    with recording_puks() as reached_card:
        reach_code_step(world, terminal, key="piv-locked")
        code = latest_code(world, jordan["email"])
        terminal.enter(code)
        terminal.wait_text("Choose a new passcode")
        terminal.enter(NEW_PASSCODE, NEW_PASSCODE)
        terminal.wait_text("Your card is unlocked", timeout=30)

    verified = pkcs15(tmp_path, "--verify-pin", "--auth-id", "01", "--pin", NEW_PASSCODE)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    refused = pkcs15(
        tmp_path, "--unblock-pin", "--auth-id", "01", "--puk", jordan["puk"], "--new-pin", "246810"
    )
    assert refused.returncode != 0, "the PUK that reached the kiosk still unblocks the card"

    rotated = set(reached_card) - {jordan["puk"], NEW_PASSCODE}
    assert rotated, "the card was never given a fresh PUK"
    secrets = {NEW_PASSCODE, code, jordan["puk"], *rotated, *jordan["answers"].values()}
    assert not scan([tmp_path], secrets)
    assert_nothing_kept_or_shown(terminal, secrets, tmp_path)
