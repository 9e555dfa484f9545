"""Checking the card with the unlock service before the journey starts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import StartingUnlock
from screens.base import KioskScreen
from screens.language import _


class StartingUnlockScreen(KioskScreen):
    """Checking your card with the unlock service: wait."""

    STATE = StartingUnlock
    HELP_TOPIC = None
    KEY_HINTS = (("Esc", _("Stop")),)

    def compose_body(self) -> ComposeResult:
        """A please-wait message."""
        yield Static(_("Checking your card…"), classes="heading")
        yield Static(
            _(
                "We are checking your card with the unlock service. Please wait.\n\n"
                "Do not remove your card."
            ),
            classes="lead",
        )
