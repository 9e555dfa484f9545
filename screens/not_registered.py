"""The holder never registered for self-service: only the RA team can unlock."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, NotRegistered
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import RaContactsBox


class NotRegisteredScreen(KioskScreen):
    """You have not registered for self-service: the RA team can unlock the card."""

    STATE = NotRegistered
    KEY_HINTS = (("Esc", _("Finish")),)

    def compose_body(self) -> ComposeResult:
        """Heading, what it means, the contacts."""
        yield Static(_("You have not registered for self-service"), classes="heading")
        yield Static("", id="holder", classes="holder")
        yield Static(
            _(
                "A locked card can only be unlocked here if its holder registered for "
                "self-service first. Ask the RA team to unlock your card now, and register "
                "next time.\n\n"
                'Once your card works again, put it in this kiosk and choose "Register for '
                'self-service": then next time you can unlock it yourself.'
            ),
            classes="lead",
        )
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show whose card it is and the RA team's contacts."""
        assert isinstance(screen, NotRegistered)
        self.set_text("holder", Text.assemble(_("Card holder: "), (screen.card.name, "bold")))
        self.show_ra_contacts()
