"""Registered for self-service: the registration's happy ending."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, Registered
from screens.base import KioskScreen
from screens.language import _
from screens.wording import bold_value


class RegisteredScreen(KioskScreen):
    """You are registered; take your card."""

    STATE = Registered
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = ((_("Take your card"), _("to finish")),)

    def compose_body(self) -> ComposeResult:
        """Heading, what it means, what to do next."""
        yield Static(_("You are registered for self-service"), classes="heading success")
        yield Static("", id="lead", classes="lead")
        yield Static(
            _(
                "If your card ever locks because the passcode was typed wrongly too many "
                "times, put it into a self-service kiosk and answer your security questions. "
                "We will email you a code to unlock it."
            ),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say whose registration."""
        assert isinstance(screen, Registered)
        lead = (
            bold_value(
                _("{name}, you can now unlock your own card here. Take your card now.", name="\0"),
                screen.name,
            )
            if screen.name
            else _("You can now unlock your own card here. Take your card now.")
        )
        self.set_text("lead", lead)
