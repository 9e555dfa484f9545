"""Self-service is locked for this holder: the RA team's contacts, nothing more."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, SelfServiceLocked
from screens.base import KioskScreen
from screens.widgets import RaContactsBox


class SelfServiceLockedScreen(KioskScreen):
    """Contact the RA team (docs/design.md: contacts only, no other way forward)."""

    STATE = SelfServiceLocked
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = (("Take your card", "to finish"),)

    def compose_body(self) -> ComposeResult:
        """Heading, one line, the contacts."""
        yield Static("Contact the RA team to unlock your card", classes="heading")
        yield Static(
            "Your card cannot be unlocked at a kiosk: self-service is locked for you "
            "because the security questions were answered wrongly 3 times.\n\n"
            "Take this card and photo ID to the RA team. They can unlock your card and "
            "clear the lock, so you can use self-service again.",
            classes="lead",
        )
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the RA team's contacts."""
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)
