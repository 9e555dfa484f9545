"""The RA session has ended (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.ra_states import RaEnded
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import _


class RaEndedScreen(KioskScreen):
    """Signed out: why, and take the card."""

    STATE = RaEnded
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = ((_("Take the card"), _("to finish")),)

    def compose_body(self) -> ComposeResult:
        """Heading and why."""
        yield Static(_("RA session ended"), classes="heading")
        yield Static("", id="why", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Why it ended."""
        assert isinstance(screen, RaEnded)
        self.set_text("why", _("{why}\n\nTake the card out of the reader.", why=screen.why))
