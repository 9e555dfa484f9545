"""The computer's smartcard service is down and being restarted."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, NoCardService
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import RaContactsBox


class CardServiceDownScreen(KioskScreen):
    """The smartcard service is restarting: wait, or use another kiosk."""

    STATE = NoCardService
    HELP_TOPIC = None
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading, what to do, and the RA team."""
        yield Static(_("This kiosk is restarting its card service"), classes="heading")
        yield Static(
            _(
                "The kiosk cannot talk to card readers for a moment. It is fixing this by "
                "itself; please wait a minute.\n\nIf this screen does not go away, please "
                "use another kiosk, or contact the RA team."
            ),
            classes="lead",
        )
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the RA team's contacts."""
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)
