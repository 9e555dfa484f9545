"""Demo-only keys (F2-F6) on the real demo world."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from screens.demo_mailbox import DemoMailboxScreen
from tests.app.journey import SIZE, on, until

pytestmark = pytest.mark.pcsc


async def test_demo_keys_insert_remove_and_show_the_mailbox(
    world: DemoWorld, kiosk: KioskApp
) -> None:
    async with kiosk.run_test(size=SIZE) as pilot:
        await until(pilot, kiosk, on(s.WaitingForCard))
        await pilot.press("f2")
        state = await until(pilot, kiosk, on(s.CardStatus))
        assert state.card is not None and state.card.name == "Alex Morgan"
        await pilot.press("f5")
        await until(pilot, kiosk, lambda st: not isinstance(st.screen, s.CardStatus))
        await pilot.press("f3")
        state = await until(pilot, kiosk, on(s.CardStatus))
        assert state.card is not None and state.card.name == "Priya Shah"
        await pilot.press("f6")
        await shown(pilot, kiosk, True)
        await pilot.press("escape")
        await shown(pilot, kiosk, False)


async def shown(pilot: Any, app: KioskApp, mailbox: bool, timeout: float = 10) -> None:
    """Wait until the demo mailbox is (or is not) the screen on show."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while isinstance(app.screen, DemoMailboxScreen) is not mailbox:
        assert loop.time() < deadline, f"mailbox shown should be {mailbox}"
        await pilot.pause(0.05)
