"""The card is unlocked: the journey's happy ending."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, Unlocked
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import short_contact
from screens.wording import new_passcode_works


class UnlockedScreen(KioskScreen):
    """Your card is unlocked: take your card."""

    STATE = Unlocked
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = ((_("Take your card"), _("to finish")),)

    def compose_body(self) -> ComposeResult:
        """Heading, confirmation and the notice about the email."""
        yield Static(_("Your card is unlocked"), classes="heading success")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="detail", classes="detail")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say whose card, when, and what email follows."""
        assert isinstance(screen, Unlocked)
        lead = new_passcode_works(screen.name, screen.at, _(".\n\nTake your card now."))
        self.set_text("lead", lead)
        contact = short_contact(self.ra_contacts)
        detail = (
            _(
                "We will email you to say your card was unlocked at {kiosk}. If it was not "
                "you who unlocked it, contact {contact} at once.",
                kiosk=self.kiosk_name,
                contact=contact,
            )
            if self.kiosk_name
            else _(
                "We will email you to say your card was unlocked. If it was not "
                "you who unlocked it, contact {contact} at once.",
                contact=contact,
            )
        )
        self.set_text("detail", detail)
