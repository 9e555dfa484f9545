"""Registered for self-service: the registration's happy ending."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, Registered
from screens.base import KioskScreen


class RegisteredScreen(KioskScreen):
    """You are registered; take your card."""

    STATE = Registered
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = (("Take your card", "to finish"),)

    def compose_body(self) -> ComposeResult:
        """Heading, what it means, what to do next."""
        yield Static("You are registered for self-service", classes="heading success")
        yield Static("", id="lead", classes="lead")
        yield Static(
            "If your card ever locks because the passcode was typed wrongly too many "
            "times, put it into a self-service kiosk and answer your security questions. "
            "We will email you a code to unlock it.",
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say whose registration."""
        assert isinstance(screen, Registered)
        lead = Text()
        if screen.name:
            lead.append(screen.name, "bold")
            lead.append(", you")
        else:
            lead.append("You")
        lead.append(" can now unlock your own card here. Take your card now.")
        self.set_text("lead", lead)
