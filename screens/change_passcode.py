"""Change passcode: the passcode now, then a new one twice; the card makes the change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import HelpTopic, SubmitPasscodeChange
from kiosk.flow.states import ChangePasscode, KioskState
from screens.form_lines import error_lines, problem_lines
from screens.language import _
from screens.passcode_forms import PasscodeFormScreen, new_passcode_fields, tries_lines
from screens.widgets import SecretInput


class ChangePasscodeScreen(PasscodeFormScreen):
    """Old passcode, new passcode, new passcode again; rules from the state."""

    STATE = ChangePasscode
    HELP_TOPIC = HelpTopic.FORGOTTEN_PASSCODE
    KEY_HINTS = (("Enter", _("Next / Change passcode")), ("Esc", _("Stop")))

    def compose_body(self) -> ComposeResult:
        """Heading, rules, tries, messages and the three fields."""
        yield Static(_("Change your passcode"), classes="heading")
        yield Static("", id="rules", classes="lead")
        yield from tries_lines()
        yield from problem_lines("errors")
        yield Static(_("Your passcode now:"), classes="field-label")
        yield SecretInput(placeholder=_("Type your passcode now"), id="old", max_length=8)
        yield from new_passcode_fields(_("Type the new passcode again:"), max_length=8)
        yield Static("", id="changing", classes="sending")
        yield Static(
            _("Your passcodes go only to your card. They are never stored or sent anywhere."),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Rules, tries left, the last-try warning and why the last try was refused."""
        assert isinstance(screen, ChangePasscode)
        self.show_rules(_("Your new passcode must follow these rules:"), screen.rules)
        self.show_tries(screen.tries_left, screen.last_try)
        self.set_text("errors", error_lines(screen.errors))
        self.point_at_problem(screen.errors)
        self.set_text("notice", screen.notice)
        self.set_text(
            "changing",
            _("Changing the passcode on your card… do not remove it.") if screen.changing else None,
        )

    def submit_step(self) -> None:
        """Send the three values as typed; the flow checks them before the card."""
        self.intent(
            SubmitPasscodeChange(
                old=self.typed("old"), new=self.typed("new"), repeat=self.typed("repeat")
            )
        )
