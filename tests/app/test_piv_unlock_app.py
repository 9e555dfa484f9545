"""The unlock journey on a PIV card through the real app, pcscd, service and mail (Pilot).

Issue 16: the same screens and rules as our own applet; afterwards OpenSC verifies
the new PIN on the card, and the PUK that reached the kiosk no longer unblocks it
(the service rotated it as part of the unblock).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from card.piv_applet import PivPersonalisation
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.app.conftest import latest_code
from tests.app.journey import SIZE, card_in, intent, on, until
from tests.secrecy import recording_puks, scan

pytestmark = pytest.mark.pcsc

NEW_PIN = "258147"


def piv_holder(world: DemoWorld, key: str) -> dict[str, Any]:
    return next(h for h in world.demo_data["piv_holders"] if h["key"] == key)


def opensc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home), OPENSC_DEBUG="0")
    return subprocess.run(
        ["pkcs15-tool", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_unlock_a_locked_piv_card(world: DemoWorld, kiosk: KioskApp, tmp_path: Path) -> None:
    jordan = piv_holder(world, "piv-locked")
    assert world.cards is not None
    with recording_puks() as reached_card:
        await _unlock(world, kiosk, jordan)
    # The card got the demo PUK and the fresh one the service rotated it to; the world's
    # secrecy scan (tests/conftest.py) looks for both, and for the new passcode.
    fresh = set(reached_card) - {jordan["puk"], NEW_PIN}
    assert jordan["puk"] in reached_card and NEW_PIN in reached_card and fresh
    assert not scan([tmp_path], {*fresh, NEW_PIN, jordan["puk"]})
    planted = tmp_path / "planted.log"
    planted.write_text(f"rotated to {sorted(fresh)[0]}\n")
    assert scan([tmp_path], fresh), "the scan would miss a rotated PUK"
    planted.unlink()

    card = world.cards.personalisation("piv-locked")
    assert isinstance(card, PivPersonalisation)
    assert card.pin_tries_left == 3 and card.puk_tries_left == 3

    # OpenSC: the new PIN verifies; the demo PUK, which reached the kiosk, is worthless.
    verified = opensc(tmp_path, "--verify-pin", "--auth-id", "01", "--pin", NEW_PIN)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    old_puk = jordan["puk"]
    unblock = opensc(
        tmp_path, "--unblock-pin", "--auth-id", "01", "--puk", old_puk, "--new-pin", "246810"
    )
    assert unblock.returncode != 0, unblock.stdout
    assert card.puk_tries_left == 2  # that one refused try, and no other
    verified = opensc(tmp_path, "--verify-pin", "--auth-id", "01", "--pin", NEW_PIN)
    assert verified.returncode == 0, "the refused PUK changed the PIN"


async def _unlock(world: DemoWorld, kiosk: KioskApp, jordan: dict[str, Any]) -> None:
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        state = await card_in(pilot, kiosk, world, "piv-locked")
        assert isinstance(state.screen, s.CardStatus) and state.screen.can_unlock
        assert state.screen.card.name == jordan["name"]
        assert len(state.screen.card.serial) == 32  # the card's GUID
        await intent(pilot, kiosk, e.Continue())
        state = await until(pilot, kiosk, on(s.Questions))
        assert isinstance(state.screen, s.Questions)
        answers = {q.id: jordan["answers"][q.id] for q in state.screen.questions}
        await intent(pilot, kiosk, e.SubmitAnswers(answers))
        await until(pilot, kiosk, on(s.CodeEntry))
        code = latest_code(world, jordan["email"])
        await intent(pilot, kiosk, e.SubmitCode(code))
        await until(pilot, kiosk, on(s.NewPasscode))
        # The passcode rules hold before the card is touched, as on our own applet.
        await intent(pilot, kiosk, e.SubmitNewPasscode("123456", "123456"))
        state = await until(pilot, kiosk, on(s.NewPasscode))
        assert state.screen.errors  # type: ignore[attr-defined]
        await intent(pilot, kiosk, e.SubmitNewPasscode(NEW_PIN, NEW_PIN))
        await until(pilot, kiosk, on(s.Unlocked))
