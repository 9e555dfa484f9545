"""What the screens where an email and a mobile are typed share (registering, the RA desk)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Static

from kiosk.flow.events import SubmitContactDetails
from screens.base import KioskScreen
from screens.widgets import TextInput


def contact_fields(email_label: str, mobile_label: str) -> ComposeResult:
    """The email and the mobile fields, labelled (`#email`, `#mobile`).

    Args:
        email_label: The label above the email field.
        mobile_label: The label above the mobile field.
    """
    yield Static(email_label, classes="field-label")
    yield TextInput(placeholder="name@nhs.net", id="email", classes="contact", max_length=254)
    yield Static(mobile_label, classes="field-label")
    yield TextInput(placeholder="07700 900123", id="mobile", classes="contact", max_length=20)


class ContactFormScreen(KioskScreen):
    """A screen with the `contact_fields`; Enter in the last sends both."""

    def email_field(self) -> Input:
        """The email field."""
        return self.query_one("#email", Input)

    def mobile_field(self) -> Input:
        """The mobile field."""
        return self.query_one("#mobile", Input)

    def submit_step(self) -> None:
        """Send both values as typed; the flow checks them."""
        self.intent(
            SubmitContactDetails(email=self.email_field().value, mobile=self.mobile_field().value)
        )
