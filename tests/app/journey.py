"""Drive the real kiosk app through the unlock journey with keys, as a holder would."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from textual.widgets import Input

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.messages import Intent
from tests.app.conftest import holder, latest_code

SIZE = (100, 32)


async def until(
    pilot: Any, app: KioskApp, condition: Callable[[s.KioskState], bool], timeout: float = 15
) -> s.KioskState:
    """Let the app run until its state meets `condition`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition(app.state):
        if loop.time() > deadline:
            raise AssertionError(f"timed out; state is {app.state.screen!r}")
        await pilot.pause(0.05)
    return app.state


def on(kind: type) -> Callable[[s.KioskState], bool]:
    """The app shows `kind` and is not waiting on the card or the service."""
    return lambda state: isinstance(state.screen, kind) and not state.screen.busy


async def fields_ready(pilot: Any, app: KioskApp, timeout: float = 10) -> None:
    """Wait until the screen on show has its fields and the cursor is in one
    (a holder starts typing when they see the field, not before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (isinstance(app.focused, Input) and app.focused.screen is app.screen):
        if loop.time() > deadline:
            raise AssertionError(f"no field to type in on {app.screen!r}")
        await pilot.pause(0.05)


def field_values(app: KioskApp) -> list[str]:
    """The values of every input shown on the current screen (a hidden one, such as
    the texted-code field of a one-code journey, is not the holder's to fill)."""
    return [field.value for field in app.screen.query(Input) if field.display]


async def intent(pilot: Any, app: KioskApp, event: e.Event) -> None:
    """Post the holder's intent `event`, as a screen does, and let the app take it."""
    app.post_message(Intent(event))
    await pilot.pause()


async def insert_card(pilot: Any, app: KioskApp, world: DemoWorld, key: str) -> None:
    """Once the kiosk waits for a card, put in the demo card `key`."""
    await until(pilot, app, on(s.WaitingForCard))
    assert world.cards is not None
    world.cards.insert(key)


async def card_in(pilot: Any, app: KioskApp, world: DemoWorld, key: str) -> s.KioskState:
    """Once the kiosk waits for a card, put in the demo card `key`: the card status shown."""
    await insert_card(pilot, app, world, key)
    return await until(pilot, app, on(s.CardStatus))


async def card_in_and_choose(
    pilot: Any, app: KioskApp, world: DemoWorld, key: str, option: str, screen: type
) -> s.KioskState:
    """Put in the demo card `key` and press `option` on its status ("1" register, "2"
    change the passcode): `screen` shown, its fields ready."""
    await card_in(pilot, app, world, key)
    await pilot.press(option)
    state = await until(pilot, app, on(screen))
    await fields_ready(pilot, app)
    return state


async def drain_outbox(pilot: Any, app: KioskApp) -> None:
    """Wait until the outbox has delivered the kiosk's audit events to the service."""
    deadline = asyncio.get_running_loop().time() + 15
    while len(app.store.outbox) and asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.1)
    assert len(app.store.outbox) == 0, "the outbox did not drain"


def audit_export(world: DemoWorld) -> str:
    """The service's audit export (`ssu-service audit export`), one JSON record a line."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "export", "--db", world.db_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


class Holder:
    """A demo holder with a locked card (own applet by default, or "piv-locked")."""

    def __init__(self, world: DemoWorld, app: KioskApp, pilot: Any, key: str = "locked") -> None:
        self.world = world
        self.app = app
        self.pilot = pilot
        self.key = key
        self.data = holder(world, key)

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)

    async def to_status(self) -> s.KioskState:
        return await card_in(self.pilot, self.app, self.world, self.key)

    async def to_questions(self) -> s.KioskState:
        await self.to_status()
        await self.pilot.press("enter")
        state = await until(self.pilot, self.app, on(s.Questions))
        await fields_ready(self.pilot, self.app)
        return state

    async def type_answers(self, state: s.KioskState, submit: bool = True) -> None:
        assert isinstance(state.screen, s.Questions)
        questions = state.screen.questions
        for i, question in enumerate(questions):
            await self.type(self.data["answers"][question.id])
            if submit or i + 1 < len(questions):
                await self.pilot.press("enter")

    async def to_code(self) -> s.KioskState:
        state = await self.to_questions()
        await self.type_answers(state)
        state = await until(self.pilot, self.app, on(s.CodeEntry))
        await fields_ready(self.pilot, self.app)
        return state

    async def to_new_passcode(self, code_count: int = 1) -> s.KioskState:
        await self.to_code()
        return await self.enter_code(code_count)

    async def enter_code(self, code_count: int = 1) -> s.KioskState:
        """On the code screen: type the code of the `code_count`-th mail and send it; the
        new passcode screen, its fields ready."""
        await self.type(latest_code(self.world, self.data["email"], count=code_count))
        await self.pilot.press("enter")
        state = await until(self.pilot, self.app, on(s.NewPasscode))
        await fields_ready(self.pilot, self.app)
        return state

    async def type_new_passcode(self, passcode: str, submit: bool = True) -> None:
        """On the new passcode screen: type `passcode` in both fields, with Enter after
        the first, and after the second too when `submit`."""
        await self.type(passcode)
        await self.pilot.press("enter")
        await self.type(passcode)
        if submit:
            await self.pilot.press("enter")

    async def pull_card(self) -> None:
        """Take the card out: the session ends (the notice may already have given way to
        the waiting screen)."""
        assert self.world.cards is not None
        self.world.cards.remove()
        await until(
            self.pilot,
            self.app,
            lambda st: (
                st.card is None and isinstance(st.screen, s.CardRemovedNotice | s.WaitingForCard)
            ),
            timeout=20,
        )
