"""kill -9 at the registration code step, restarted with the card still in: the
kiosk resumes at the code and the registration completes (real terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.app.test_registration_app import service_holder
from tests.e2e.terminal import (
    kill_kiosk,
    kiosk_terminal,
    register_up_to_the_code,
    up_to_the_terms,
)
from tests.e2e.test_tmux_register import ANSWERS, CHOSEN

pytestmark = pytest.mark.pcsc


def test_kill_at_the_registration_code_and_resume(world: DemoWorld, tmp_path: Path) -> None:
    sam = holder(world, "unregistered")
    assert world.cards is not None
    store = tmp_path / "kiosk.sqlite"
    with kiosk_terminal("first", world, store) as first:
        up_to_the_terms(world, first)
        first.keys("End", "Enter")
        register_up_to_the_code(first, sam["email"], CHOSEN, ANSWERS)
        kill_kiosk(first)
    with kiosk_terminal("second", world, store) as second:
        second.wait_text("This code finishes your registration")
        second.enter(latest_code(world, sam["email"]))
        second.wait_text("You are registered for self-service", timeout=30)
    assert service_holder(world, sam["uuid"]).get("registered") is True
