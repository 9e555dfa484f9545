"""The RA records or corrects the holder's email and mobile (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.contact_rules import domains_text
from kiosk.flow.ra_states import RaContacts
from kiosk.flow.states import KioskState
from screens.contact_forms import ContactFormScreen, contact_fields
from screens.form_lines import error_lines
from screens.language import _


class RaContactsScreen(ContactFormScreen):
    """Email on an approved domain and a UK mobile; both old and new addresses are told."""

    STATE = RaContacts
    HELP_TOPIC = None
    KEY_HINTS = (("Enter", _("Next / Save")), ("Esc", _("Back")))

    def compose_body(self) -> ComposeResult:
        """Heading, what happens, the fields."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="errors", classes="error")
        yield from contact_fields(_("Email address:"), _("Mobile number:"))
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
        self.set_text("errors", error_lines(screen.errors))
        self.point_at_problem(screen.errors)
        self.set_text("sending", _("Saving…") if screen.sending else None)
