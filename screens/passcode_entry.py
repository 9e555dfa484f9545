"""Registering: type the card's passcode, checked by the card (it never leaves the kiosk)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import HelpTopic, SubmitPasscode
from kiosk.flow.states import KioskState, PasscodeEntry
from screens.base import KioskScreen
from screens.language import _, ngettext
from screens.widgets import SecretInput

LAST_TRY_WARNING = _(
    "Warning: this is your last try. If this passcode is wrong, your card will lock "
    "and you will need to unlock it before you can use it again."
)


def tries_text(tries_left: int | None) -> str | None:
    """How many passcode tries the card has left, in words (None when unknown)."""
    if tries_left is None:
        return None
    return ngettext(
        "Your card allows {count} more passcode try before it locks.",
        "Your card allows {count} more passcode tries before it locks.",
        tries_left,
    )


class PasscodeEntryScreen(KioskScreen):
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
        yield Static("", id="tries", classes="detail")
        yield Static("", id="warning", classes="warning")
        yield Static("", id="error", classes="error")
        yield Static("", id="notice", classes="notice")
        yield Static(_("Your passcode:"), classes="field-label")
        yield SecretInput(placeholder=_("Type your passcode"), id="passcode", max_length=8)
        yield Static("", id="checking", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Tries left, the plain last-try warning, messages."""
        assert isinstance(screen, PasscodeEntry)
        self.set_text("tries", tries_text(screen.tries_left))
        self.set_text("warning", LAST_TRY_WARNING if screen.last_try else None)
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        self.set_text(
            "checking", _("Your card is checking the passcode…") if screen.checking else None
        )

    def submit_step(self) -> None:
        """Send the passcode as typed (to the flow, then the card)."""
        self.intent(SubmitPasscode(passcode=self.query_one("#passcode", SecretInput).value))
