"""Choose a new passcode, typed twice in masked fields."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, NewPasscode
from screens.form_lines import error_lines, problem_lines
from screens.language import _
from screens.passcode_forms import NewPasscodeFormScreen, new_passcode_fields


class NewPasscodeScreen(NewPasscodeFormScreen):
    """Type a new passcode, then the same again; the rules come from the state."""

    STATE = NewPasscode
    KEY_HINTS = (("Enter", _("Next / Save passcode")), ("Esc", _("Stop")))

    def compose_body(self) -> ComposeResult:
        """Heading, rules, messages and the two fields."""
        yield Static(_("Choose a new passcode"), classes="heading")
        yield Static("", id="rules", classes="lead")
        yield from problem_lines("errors")
        yield from new_passcode_fields(_("Type it again:"))
        yield Static(
            _("Your new passcode goes only to your card. It is never stored or sent anywhere."),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """List the rules and any reasons the last try was refused."""
        assert isinstance(screen, NewPasscode)
        self.show_rules(_("Your passcode must follow these rules:"), screen.rules)
        self.set_text("errors", error_lines(screen.errors))
        self.point_at_problem(screen.errors)
        self.set_text("notice", screen.notice)
