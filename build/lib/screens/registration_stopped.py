"""The registration stopped part way: nothing was registered."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, RegistrationStopped, StopReason
from screens.base import KioskScreen

_WHY = {
    StopReason.EXPIRED: "The time to finish registering ran out.",
    StopReason.CODE_VOID: "The code was typed wrongly too many times, so it no longer works.",
    StopReason.PROBLEM: "Something went wrong with the unlock service.",
}


class RegistrationStoppedScreen(KioskScreen):
    """The registration could not go on; Enter goes back to the card."""

    STATE = RegistrationStopped
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", "Back to my card"), ("Esc", "Finish"))

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and what to do."""
        yield Static("You have not been registered", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static(
            "Any registration you made before is unchanged. Everything you typed has "
            "been cleared.\n\nPress Enter to go back and start again.",
            classes="lead",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why it stopped."""
        assert isinstance(screen, RegistrationStopped)
        self.set_text("lead", _WHY.get(screen.reason, _WHY[StopReason.PROBLEM]))
