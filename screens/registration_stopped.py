"""The registration stopped part way: nothing was registered."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, RegistrationStopped, StopReason
from screens.base import KioskScreen
from screens.language import _

_WHY = {
    StopReason.EXPIRED: _("The time to finish registering ran out."),
    StopReason.CODE_VOID: _("The code was typed wrongly too many times, so it no longer works."),
    StopReason.PROBLEM: _("Something went wrong with the unlock service."),
}


class RegistrationStoppedScreen(KioskScreen):
    """The registration could not go on; Enter goes back to the card."""

    STATE = RegistrationStopped
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", _("Back to my card")), ("Esc", _("Finish")))

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and what to do."""
        yield Static(_("You have not been registered"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static(
            _(
                "Any registration you made before is unchanged. Everything you typed has "
                "been cleared.\n\nPress Enter to go back and start again."
            ),
            classes="lead",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why it stopped."""
        assert isinstance(screen, RegistrationStopped)
        self.set_text("lead", _WHY.get(screen.reason, _WHY[StopReason.PROBLEM]))
