"""A small app that shows one kiosk screen with a given state and records intents.

It stands in for the kiosk app at the contract `screens/` has with it: install a
screen, `show(state)`, `wipe()`, and receive `Intent` messages. It is locked down
the same way as the kiosk app (no inherited bindings, no command palette, no
selection), so a key the kiosk would not handle does nothing here either.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from textual import on
from textual.app import App
from textual.widgets import Input

from contract.contacts import RaContacts
from kiosk.flow.events import Event
from kiosk.flow.facts import CardFacts, Checkpoint, Journey, PinState, Question, Step
from kiosk.flow.states import KioskState, Screen
from kiosk.messages import Intent
from kiosk.settings import KioskSettings
from screens import SCREENS, KioskOverlay, KioskScreen, WaitingForCardScreen, screen_key

STYLESHEET = Path(__file__).resolve().parents[2] / "screens" / "kiosk.tcss"

NOW = dt.datetime(2026, 11, 22, 14, 3, 20, tzinfo=dt.UTC)
"""The tests' clock (the screens read time only from the state)."""

CARD = CardFacts(
    serial="0011223344556677",
    uuid="555000111222",
    name="Alex Example",
    expiry=dt.date(2027, 9, 30),
    pin=PinState.BLOCKED,
)

QUESTIONS = (
    Question(id="q1", text="What was the name of your first school?"),
    Question(id="q2", text="What is your favourite film?"),
    Question(id="q3", text="In which town was your mother born?"),
    Question(id="q4", text="What was your first car?"),
)


def settings() -> KioskSettings:
    """Kiosk settings (no TOML file is read)."""
    return KioskSettings(kiosk_name="Ward 7 kiosk, St Example's Hospital")


RA_CONTACTS = RaContacts(
    organisation="Example Trust RA team",
    phone="0113 496 0000",
    email="ra.team@example.nhs.net",
    opening_hours="Monday to Friday, 8am to 6pm",
)
"""Made-up RA contacts, as the kiosk app holds what its service sent."""


def journey(step: Step = Step.QUESTIONS) -> Checkpoint:
    """A journey under way with the service, for states that need one."""
    return Checkpoint(
        journey=Journey.UNLOCK,
        step=step,
        serial=CARD.serial,
        service_id="unl_0001",
        started_at=NOW - dt.timedelta(minutes=2),
        updated_at=NOW,
        expires_at=NOW + dt.timedelta(minutes=13),
    )


def kiosk_state(screen: Screen, **changes: Any) -> KioskState:
    """The whole kiosk state around `screen`, with a card in and the tests' clock."""
    values: dict[str, Any] = {"now": NOW, "card": CARD, "last_activity": NOW}
    values.update(changes)
    return KioskState(screen=screen, **values)


class ScreenHarness(App[None], inherit_bindings=False):
    """Shows one kiosk screen (and optionally an overlay) and records its intents."""

    CSS_PATH = str(STYLESHEET)
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False

    def __init__(self, state: KioskState, *, overlay: KioskOverlay | None = None) -> None:
        """Prepare to show `state` with the screen `SCREENS` names for it.

        Args:
            state: The kiosk state to show.
            overlay: An overlay screen to push over it (its state is `state.overlay`).
        """
        super().__init__()
        self.state = state
        self.ra_contacts = RA_CONTACTS
        kind = SCREENS.get(screen_key(state.screen), WaitingForCardScreen)
        self.kiosk_screen: KioskScreen = kind()
        self.kiosk_screen.settings = settings()
        self.overlay = overlay
        if overlay is not None:
            overlay.settings = self.kiosk_screen.settings
        self.intents: list[Event] = []

    def on_mount(self) -> None:
        """Install and show the screen the way the kiosk app does (show before mount)."""
        self.install_screen(self.kiosk_screen, name="kiosk")
        self.push_screen(self.kiosk_screen)
        self.kiosk_screen.show(self.state)
        if self.overlay is not None:
            self.push_screen(self.overlay)
            self.overlay.show(self.state)
        self.call_after_refresh(self._steady_cursors)

    def show(self, state: KioskState) -> None:
        """Give the screen (and overlay) a new state, as the app does on every change."""
        self.state = state
        self.kiosk_screen.show(state)
        if self.overlay is not None:
            self.overlay.show(state)
        self.call_after_refresh(self._steady_cursors)

    def _steady_cursors(self) -> None:
        # A field's cursor blinks every 0.5 s: on a loaded machine a snapshot taken
        # after the first blink showed the field without it and failed. Held steady
        # (visible), every picture is the same however long the capture takes.
        for screen in (self.kiosk_screen, self.overlay):
            if screen is not None and screen.is_mounted:
                for field in screen.query(Input):
                    field.cursor_blink = False

    @on(Intent)
    def _record(self, message: Intent) -> None:
        message.stop()
        self.intents.append(message.event)


SIZE = (100, 32)
"""The terminal the screens are shown in, unless a test says otherwise."""


@asynccontextmanager
async def shown(
    state: KioskState, *, overlay: KioskOverlay | None = None, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[ScreenHarness, Any]]:
    """`state`'s screen (and `overlay`) shown under Pilot in a terminal of `size`, once
    it has drawn: (app, pilot)."""
    app = ScreenHarness(state, overlay=overlay)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot


def screen_text(app: App[Any]) -> str:
    """Everything on the terminal right now, as plain text (what a passer-by sees).

    Rendered the way `App.export_screenshot` renders, but exported as text so a
    test can search it.
    """
    return printed(app, record=True, safe_box=False).export_text(styles=False)


def printed(app: App[Any], **options: Any) -> Console:
    """A console of the app's size with the whole screen printed to it, as the app
    writes it to a true-colour terminal; `options` are the Console's others."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        **options,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console
