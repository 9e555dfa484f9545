"""Registering: the email (on an approved domain) and mobile number for the codes."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from kiosk.contact_rules import domains_text, email_problem, mobile_problem
from kiosk.flow.states import ContactDetails, KioskState
from screens.contact_forms import ContactFormScreen, contact_fields
from screens.form_lines import error_lines, problem_lines
from screens.language import _


class ContactDetailsScreen(ContactFormScreen):
    """Your work email and mobile number; checked here before they are sent."""

    STATE = ContactDetails
    KEY_HINTS = (("Enter", _("Next / Send")), ("Esc", _("Stop")))

    def compose_body(self) -> ComposeResult:
        """Heading, the approved domains, messages and the two fields."""
        yield Static(_("Your contact details"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield from problem_lines("errors")
        yield from contact_fields(_("Work email address:"), _("Mobile phone number:"))
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
        self.set_text("errors", error_lines(screen.errors))
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
        email = self.email_field()
        mobile = self.mobile_field()
        if email_problem(email.value, self._domains):
            return email
        if mobile_problem(mobile.value):
            return mobile
        return super().field_needing_attention()
