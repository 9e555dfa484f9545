"""Registering: type the card's passcode, checked by the card (it never leaves the kiosk)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import HelpTopic
from kiosk.flow.states import KioskState, PasscodeEntry
from screens.form_lines import problem_lines
from screens.language import _
from screens.passcode_forms import CardPasscodeScreen, passcode_field, tries_lines


class PasscodeEntryScreen(CardPasscodeScreen):
    """Type your passcode to show the card is yours; the card checks it."""

    STATE = PasscodeEntry
    HELP_TOPIC = HelpTopic.FORGOTTEN_PASSCODE
    KEY_HINTS = (("Enter", _("Check passcode")), ("Esc", _("Stop")))

    def compose_body(self) -> ComposeResult:
        """Heading, what happens, tries, warnings and the field."""
        yield Static(_("Register for self-service"), classes="heading")
        yield Static(
            _(
                "First, type your card's passcode so the card can check it is yours. "
                "Your passcode goes only to your card: it is never stored or sent anywhere."
            ),
            classes="lead",
        )
        yield from tries_lines()
        yield from problem_lines()
        yield from passcode_field()
        yield Static("", id="checking", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Tries left, the plain last-try warning, messages."""
        assert isinstance(screen, PasscodeEntry)
        self.show_tries(screen.tries_left, screen.last_try)
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        self.set_text(
            "checking", _("Your card is checking the passcode…") if screen.checking else None
        )
