"""Registering: the email (on an approved domain) and mobile number for the codes."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Static

from kiosk.contact_rules import domains_text, email_problem, mobile_problem
from kiosk.flow.events import SubmitContactDetails
from kiosk.flow.states import ContactDetails, KioskState
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import TextInput


class ContactDetailsScreen(KioskScreen):
    """Your work email and mobile number; checked here before they are sent."""

    STATE = ContactDetails
    KEY_HINTS = (("Enter", _("Next / Send")), ("Esc", _("Stop")))

    def compose_body(self) -> ComposeResult:
        """Heading, the approved domains, messages and the two fields."""
        yield Static(_("Your contact details"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="errors", classes="error")
        yield Static("", id="notice", classes="notice")
        yield Static(_("Work email address:"), classes="field-label")
        yield TextInput(placeholder="name@nhs.net", id="email", classes="contact", max_length=254)
        yield Static(_("Mobile phone number:"), classes="field-label")
        yield TextInput(placeholder="07700 900123", id="mobile", classes="contact", max_length=20)
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say which domains are approved; list what to fix."""
        assert isinstance(screen, ContactDetails)
        self.set_text(
            "lead",
            _(
                "We email your codes to this address, so use one only you can read. It must "
                "end in {domains}. Your mobile number must be a "
                "UK mobile (07… or +44 7…).",
                domains=domains_text(screen.approved_domains),
            ),
        )
        errors = Text("\n".join(screen.errors)) if screen.errors else None
        self.set_text("errors", errors)
        self._domains = screen.approved_domains
        self.point_at_problem(screen.errors)
        self.set_text("notice", screen.notice)
        self.set_text(
            "sending",
            _("Checking your card and starting your registration… please wait.")
            if screen.sending
            else None,
        )

    _domains: tuple[str, ...] = ()

    def field_needing_attention(self) -> Input | None:
        """The first field the kiosk's own checks refuse (else the first empty one)."""
        email = self.query_one("#email", Input)
        mobile = self.query_one("#mobile", Input)
        if email_problem(email.value, self._domains):
            return email
        if mobile_problem(mobile.value):
            return mobile
        return super().field_needing_attention()

    def submit_step(self) -> None:
        """Send both values as typed; the flow checks them."""
        email = self.query_one("#email", Input).value
        mobile = self.query_one("#mobile", Input).value
        self.intent(SubmitContactDetails(email=email, mobile=mobile))
