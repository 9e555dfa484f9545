"""The card was removed mid-session: everything typed is gone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import CardRemovedNotice
from screens.base import KioskScreen
from screens.language import _


class CardRemovedScreen(KioskScreen):
    """Your card was removed; everything you typed was cleared."""

    STATE = CardRemovedNotice
    HELP_TOPIC = None
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading and what to do next."""
        yield Static(_("Your card was removed"), classes="heading")
        yield Static(
            _(
                "Everything you typed has been cleared.\n\n"
                "To start again, put your card back into the reader."
            ),
            classes="lead",
        )
