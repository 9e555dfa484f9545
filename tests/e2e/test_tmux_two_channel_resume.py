"""Killed (kill -9) while two codes are being typed (policy two-channel), started again
with the card still in: the kiosk comes back asking for both codes, and both unlock.

Real parts: `ssu-kiosk` in tmux, the private pcscd with the demo locked card, the
service under two-channel over loopback HTTP, the SMTP catcher receiving the email
and (through the email-to-SMS gateway) the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.world import DemoWorld
from kiosk.store import LocalStore
from tests.app.conftest import holder, latest_code
from tests.app.test_policy_app import policy_world, texted_code
from tests.app.test_policy_app import worlds as worlds  # the fixture, with its secrecy scan
from tests.e2e.test_tmux_resume import kill_kiosk
from tests.e2e.test_tmux_unlock import Terminal, kiosk_command

pytestmark = pytest.mark.pcsc

TEXTED_FIELD = "Code from the text to"


def test_kill_during_two_code_entry_resumes_with_both_fields(
    live_pcscd: object, worlds: list[DemoWorld], tmp_path: Path
) -> None:
    world = policy_world(live_pcscd, tmp_path / "world", policy="two-channel")  # type: ignore[arg-type]
    worlds.append(world)
    alex = holder(world, "locked")
    store = tmp_path / "kiosk.sqlite"
    command, env = kiosk_command(world, store)
    first = Terminal("first", command, env)
    try:
        first.wait_text("Insert your smartcard")
        assert world.cards is not None
        world.cards.insert("locked")
        first.wait_text(TEXTED_FIELD)
        kill_kiosk(first)
    finally:
        first.close()
    # What the dead kiosk left: the masked mobile, never a code.
    check = LocalStore(store)
    try:
        saved = check.load_checkpoint()
    finally:
        check.close()
    second = Terminal("second", command, env)
    try:
        screen = second.wait_text("Check your email")
        assert TEXTED_FIELD in screen, f"the texted code's field is gone:\n{screen}"
        assert "07*** ***001" in screen
        assert saved is not None and saved.text_sent_to == "07*** ***001"
        second.type(latest_code(world, alex["email"]))
        second.keys("Enter")  # to the texted code's field
        second.type(texted_code(world, alex["mobile"]))
        second.keys("Enter")
        second.wait_text("Choose a new passcode")
    finally:
        second.close()
