"""Assisted unlock: the holder types a new passcode twice; the RA looks away (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.ra_states import RaNewPasscode
from kiosk.flow.states import KioskState
from screens.form_lines import error_lines
from screens.language import _
from screens.passcode_forms import NewPasscodeFormScreen, new_passcode_fields


class RaNewPasscodeScreen(NewPasscodeFormScreen):
    """For the holder: type a new passcode, then the same again."""

    STATE = RaNewPasscode
    HELP_TOPIC = None
    KEY_HINTS = (("Enter", _("Next / Unlock the card")), ("Esc", _("Back")))

    def compose_body(self) -> ComposeResult:
        """Heading, rules, messages and the two fields."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="rules", classes="lead")
        yield Static("", id="errors", classes="error")
        yield from new_passcode_fields(_("Type it again:"))
        yield Static("", id="writing", classes="sending")
        yield Static(
            _(
                "Your new passcode goes only to your card. Nobody sees it, and it is never "
                "stored or sent anywhere."
            ),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The rules, why the last try was refused, whether the card is being written."""
        assert isinstance(screen, RaNewPasscode)
        self.set_text("heading", _("{name}: choose a new passcode", name=screen.holder.name))
        self.show_rules(_("The passcode must follow these rules:"), screen.rules)
        self.set_text("errors", error_lines(screen.errors))
        self.point_at_problem(screen.errors)
        writing = _("Unlocking the card: do not take it out…") if screen.writing else None
        self.set_text("writing", writing)
