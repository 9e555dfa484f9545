"""The card reader is not connected: the kiosk cannot be used."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, NoReader
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import RaContactsBox


class NoReaderScreen(KioskScreen):
    """The card reader is not connected."""

    STATE = NoReader
    HELP_TOPIC = None
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading, what to do, and the RA team."""
        yield Static(_("This kiosk cannot read cards right now"), classes="heading")
        yield Static(
            _(
                "The card reader is not connected. This screen will change by itself when "
                "the reader is back.\n\nPlease use another kiosk, or contact the RA team."
            ),
            classes="lead",
        )
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the RA team's contacts."""
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)
