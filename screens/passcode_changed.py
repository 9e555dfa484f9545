"""The card has its new passcode."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, PasscodeChanged
from screens.base import KioskScreen
from screens.language import _
from screens.wording import new_passcode_works


class PasscodeChangedScreen(KioskScreen):
    """Your passcode is changed; take your card."""

    STATE = PasscodeChanged
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS = ((_("Take your card"), _("to finish")),)

    def compose_body(self) -> ComposeResult:
        """Heading and confirmation."""
        yield Static(_("Your passcode is changed"), classes="heading success")
        yield Static("", id="lead", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Whose card, and when."""
        assert isinstance(screen, PasscodeChanged)
        lead = new_passcode_works(
            screen.name, screen.at, _(". Your old passcode no longer works.\n\nTake your card now.")
        )
        self.set_text("lead", lead)
