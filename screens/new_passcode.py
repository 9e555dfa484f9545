"""Choose a new passcode, typed twice in masked fields."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, NewPasscode
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
        yield Static("", id="errors", classes="error")
        yield Static("", id="notice", classes="notice")
        yield from new_passcode_fields(_("Type it again:"))
        yield Static(
            _("Your new passcode goes only to your card. It is never stored or sent anywhere."),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """List the rules and any reasons the last try was refused."""
        assert isinstance(screen, NewPasscode)
        self.show_rules(_("Your passcode must follow these rules:"), screen.rules)
        errors = Text()
        for error in screen.errors:
            if errors:
                errors.append("\n")
            errors.append(error)
        self.set_text("errors", errors if screen.errors else None)
        self.point_at_problem(screen.errors)
        self.set_text("notice", screen.notice)
