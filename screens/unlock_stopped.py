"""The unlock stopped part way: start a new one with the same card."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, StopReason, UnlockStopped
from screens.base import KioskScreen
from screens.language import _

_WHY = {
    StopReason.EXPIRED: _("The time to finish unlocking your card ran out."),
    StopReason.CODE_VOID: (
        _("The code was typed wrongly 3 times, so it no longer works and this unlock has stopped.")
    ),
    StopReason.PROBLEM: _("Something went wrong with the unlock service."),
}


class UnlockStoppedScreen(KioskScreen):
    """The unlock could not go on; Enter starts again."""

    STATE = UnlockStopped
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", _("Start again")), ("Esc", _("Finish")))

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and what to do."""
        yield Static(_("Your card was not unlocked"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="next", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why it stopped, and exactly what starting again involves."""
        assert isinstance(screen, UnlockStopped)
        self.set_text("lead", _WHY.get(screen.reason, _WHY[StopReason.PROBLEM]))
        if screen.questions_next:
            again = _(
                "Press Enter to start again with the same card: you will answer your "
                "security questions again, then we will email you a new code."
            )
        else:
            again = _(
                "Press Enter to start again with the same card: we will email you a new code."
            )
        self.set_text(
            "next",
            _("Your passcode has not changed. Everything you typed has been cleared.\n\n") + again,
        )
