"""Assisted unlock: the holder types a new passcode twice; the RA looks away (issue 17)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import SubmitNewPasscode
from kiosk.flow.ra_states import RaNewPasscode
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import _, tr
from screens.widgets import SecretInput
from screens.wording import item_list


class RaNewPasscodeScreen(KioskScreen):
    """For the holder: type a new passcode, then the same again."""

    STATE = RaNewPasscode
    HELP_TOPIC = None
    KEY_HINTS = (("Enter", _("Next / Unlock the card")), ("Esc", _("Back")))

    def compose_body(self) -> ComposeResult:
        """Heading, rules, messages and the two fields."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="rules", classes="lead")
        yield Static("", id="errors", classes="error")
        yield Static(_("New passcode:"), classes="field-label")
        yield SecretInput(placeholder=_("Type your new passcode"), id="new")
        yield Static(_("Type it again:"), classes="field-label")
        yield SecretInput(placeholder=_("Type it again"), id="repeat")
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
        rules = item_list(
            _("The passcode must follow these rules:"), [("•", r) for r in screen.rules]
        )
        self.set_list("rules", rules, key=screen.rules)
        errors = Text("\n".join(tr(error) for error in screen.errors)) if screen.errors else None
        self.set_text("errors", errors)
        self.point_at_problem(screen.errors)
        writing = _("Unlocking the card: do not take it out…") if screen.writing else None
        self.set_text("writing", writing)

    def submit_step(self) -> None:
        """Send both values as typed; the flow checks them against the rules."""
        new = self.query_one("#new", SecretInput).value
        repeat = self.query_one("#repeat", SecretInput).value
        self.intent(SubmitNewPasscode(new=new, repeat=repeat))
