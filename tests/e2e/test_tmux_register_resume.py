"""kill -9 at the registration code step, restarted with the card still in: the
kiosk resumes at the code and the registration completes (real terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.app.test_registration_app import service_holder
from tests.e2e.test_tmux_register import ANSWERS, CATALOGUE, CHOSEN
from tests.e2e.test_tmux_resume import kill_kiosk
from tests.e2e.test_tmux_unlock import Terminal, kiosk_command

pytestmark = pytest.mark.pcsc


def test_kill_at_the_registration_code_and_resume(world: DemoWorld, tmp_path: Path) -> None:
    sam = holder(world, "unregistered")
    assert world.cards is not None
    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    first = Terminal("first", command, env)
    try:
        first.wait_text("Insert your smartcard")
        world.cards.insert("unregistered")
        first.wait_text("Your card is working")
        first.keys("1")
        first.wait_text("Your passcode:")
        first.type(sam["pin"])
        first.keys("Enter")
        first.wait_text("Terms and conditions of self-service")
        first.keys("End", "Enter")
        first.wait_text("Your contact details")
        first.type(sam["email"])
        first.keys("Enter")
        first.type("07700 900003")
        first.keys("Enter")
        first.wait_text("Chosen: 0 of 4")
        position = 0
        for qid in CHOSEN:
            target = next(i for i, q in enumerate(CATALOGUE) if q["id"] == qid)
            for _ in range(target - position):
                first.keys("Down")
            first.keys("Space")
            position = target
        first.wait_text("Chosen: 4 of 4")
        first.keys("Enter")
        first.wait_text("Type each answer twice")
        for qid in CHOSEN:
            for _ in range(2):
                first.type(ANSWERS[qid])
                first.keys("Enter")
        first.wait_text("This code finishes your registration")
        kill_kiosk(first)
    finally:
        first.close()
    second = Terminal("second", command, env)
    try:
        second.wait_text("This code finishes your registration")
        second.type(latest_code(world, sam["email"]))
        second.keys("Enter")
        second.wait_text("You are registered for self-service", timeout=30)
    finally:
        second.close()
    assert service_holder(world, sam["uuid"]).get("registered") is True
