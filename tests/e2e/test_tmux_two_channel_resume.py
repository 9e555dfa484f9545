"""Killed (kill -9) while two codes are being typed (policy two-channel), started again
with the card still in: the kiosk comes back asking for both codes, and both unlock.

Real parts: `ssu-kiosk` in tmux, the private pcscd with the demo locked card, the
service under two-channel over loopback HTTP, the SMTP catcher receiving the email
and (through the email-to-SMS gateway) the text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from demo.world import DemoWorld
from kiosk.store import LocalStore
from tests.app.conftest import holder, latest_code
from tests.app.test_policy_app import policy_world as policy_world  # the fixture, with its scan
from tests.app.test_policy_app import texted_code
from tests.e2e.terminal import kill_kiosk, kiosk_terminal

pytestmark = pytest.mark.pcsc

TEXTED_FIELD = "Code from the text to"


def test_kill_during_two_code_entry_resumes_with_both_fields(
    policy_world: Callable[..., DemoWorld], tmp_path: Path
) -> None:
    world = policy_world(policy="two-channel")
    alex = holder(world, "locked")
    store = tmp_path / "kiosk.sqlite"
    with kiosk_terminal("first", world, store) as first:
        first.wait_text("Insert your smartcard")
        assert world.cards is not None
        world.cards.insert("locked")
        first.wait_text(TEXTED_FIELD)
        kill_kiosk(first)
    # What the dead kiosk left: the masked mobile, never a code.
    check = LocalStore(store)
    try:
        saved = check.load_checkpoint()
    finally:
        check.close()
    with kiosk_terminal("second", world, store) as second:
        screen = second.wait_text("Check your email")
        assert TEXTED_FIELD in screen, f"the texted code's field is gone:\n{screen}"
        assert "07*** ***001" in screen
        assert saved is not None and saved.text_sent_to == "07*** ***001"
        second.type(latest_code(world, alex["email"]))
        second.keys("Enter")  # to the texted code's field
        second.type(texted_code(world, alex["mobile"]))
        second.keys("Enter")
        second.wait_text("Choose a new passcode")
