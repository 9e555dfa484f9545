"""The RA records or corrects the holder's email and mobile (issue 17)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from kiosk.contact_rules import domains_text
from kiosk.flow.events import SubmitContactDetails
from kiosk.flow.ra_states import RaContacts
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import _, tr
from screens.widgets import TextInput


class RaContactsScreen(KioskScreen):
    """Email on an approved domain and a UK mobile; both old and new addresses are told."""

    STATE = RaContacts
    HELP_TOPIC = None
    KEY_HINTS = (("Enter", _("Next / Save")), ("Esc", _("Back")))

    def compose_body(self) -> ComposeResult:
        """Heading, what happens, the fields."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="errors", classes="error")
        yield Static(_("Email address:"), classes="field-label")
        yield TextInput(placeholder="name@nhs.net", id="email", classes="contact", max_length=254)
        yield Static(_("Mobile number:"), classes="field-label")
        yield TextInput(placeholder="07700 900123", id="mobile", classes="contact", max_length=20)
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The holder's details now, the approved domains, messages."""
        assert isinstance(screen, RaContacts)
        view = screen.view
        self.set_text("heading", _("{name}: contact details", name=screen.holder.name))
        self.set_text(
            "lead",
            _(
                "Now: {email}, {mobile}.\nThe email must be on {domains}. When you save, a "
                "notice goes to the old and the new email address.",
                email=view.email,
                mobile=view.mobile,
                domains=domains_text(screen.approved_domains),
            ),
        )
        self.set_text(
            "errors",
            Text("\n".join(tr(error) for error in screen.errors)) if screen.errors else None,
        )
        self.point_at_problem(screen.errors)
        self.set_text("sending", _("Saving…") if screen.sending else None)

    def submit_step(self) -> None:
        """Send both values as typed; the flow checks them first."""
        email = self.query_one("#email", Input).value
        mobile = self.query_one("#mobile", Input).value
        self.intent(SubmitContactDetails(email=email, mobile=mobile))
