"""The card has its new passcode."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, PasscodeChanged
from screens.base import KioskScreen, clock_time


class PasscodeChangedScreen(KioskScreen):
    """Your passcode is changed; take your card."""

    STATE = PasscodeChanged
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = (("Take your card", "to finish"),)

    def compose_body(self) -> ComposeResult:
        """Heading and confirmation."""
        yield Static("Your passcode is changed", classes="heading success")
        yield Static("", id="lead", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Whose card, and when."""
        assert isinstance(screen, PasscodeChanged)
        lead = Text()
        if screen.name:
            lead.append(screen.name + ", y")
        else:
            lead.append("Y")
        lead.append("our new passcode works from now on")
        if screen.at is not None:
            lead.append(f" (changed at {clock_time(screen.at)})")
        lead.append(". Your old passcode no longer works.\n\nTake your card now.")
        self.set_text("lead", lead)
