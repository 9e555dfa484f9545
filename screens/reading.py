"""Reading the card that was just inserted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import ReadingCard
from screens.base import KioskScreen
from screens.language import _


class ReadingCardScreen(KioskScreen):
    """Reading your card: wait, do not remove it."""

    STATE = ReadingCard
    HELP_TOPIC = None
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """A please-wait message."""
        yield Static(_("Reading your card…"), classes="heading")
        yield Static(
            _("Please wait. This takes a few seconds.\n\nDo not remove your card."),
            classes="lead",
        )
