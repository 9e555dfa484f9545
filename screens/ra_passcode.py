"""RA sign-in: the RA types their own passcode; their card checks it (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.ra_states import RaPasscode
from kiosk.flow.states import KioskState
from screens.language import _
from screens.passcode_forms import CardPasscodeScreen, passcode_field


class RaPasscodeScreen(CardPasscodeScreen):
    """Type your own passcode to sign in as an RA."""

    STATE = RaPasscode
    HELP_TOPIC = None
    KEY_HINTS = (("Enter", _("Sign in")), ("Esc", _("Back")))

    def compose_body(self) -> ComposeResult:
        """Heading, what happens, messages and the field."""
        yield Static(_("RA sign-in"), classes="heading")
        yield Static("", id="holder", classes="holder")
        yield Static(
            _(
                "Type your own passcode. Your card checks it; the unlock service then checks "
                "that you have the RA role. Every action you take is recorded in your name."
            ),
            classes="lead",
        )
        yield Static("", id="error", classes="error")
        yield from passcode_field()
        yield Static("", id="checking", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Whose card, messages, and whether the card is checking."""
        assert isinstance(screen, RaPasscode)
        self.set_text("holder", _("Card: {name}", name=screen.card.name))
        self.set_text("error", screen.error)
        self.point_at_problem(screen.error)
        self.set_text(
            "checking", _("Checking your card and your RA role…") if screen.checking else None
        )
