"""The session ended (timed out or cancelled) with the card still in."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import EndReason, KioskState, SessionEnded
from screens.base import KioskScreen

_WHY = {
    EndReason.TIMED_OUT: (
        "Your session ended because nothing was typed for a while. Anything you had "
        "typed has been cleared."
    ),
    # Esc on a menu ends a session in which nothing was typed, and a holder who
    # stopped a journey has just been told that stopping clears what they typed.
    EndReason.CANCELLED: "You stopped.",
}


class SessionEndedScreen(KioskScreen):
    """Session ended: take your card, or Enter to start again with it."""

    STATE = SessionEnded
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", "Start again"),)

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and what to do."""
        yield Static("Your session has ended", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static("Take your card, or press Enter to start again with it.", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why it ended."""
        assert isinstance(screen, SessionEnded)
        self.set_text("lead", _WHY.get(screen.reason))
