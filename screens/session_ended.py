"""The session ended (timed out or cancelled) with the card still in."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import EndReason, KioskState, SessionEnded
from screens.base import KioskScreen
from screens.language import _, tr

_WHY = {
    EndReason.TIMED_OUT: _("Your session ended because nothing was typed for a while."),
    EndReason.CANCELLED: _("You stopped."),
}
CLEARED = _("Everything you typed has been cleared.")


class SessionEndedScreen(KioskScreen):
    """Session ended: take your card, or Enter to start again with it."""

    STATE = SessionEnded
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", _("Start again")),)

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and what to do."""
        yield Static(_("Your session has ended"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static(_("Take your card, or press Enter to start again with it."), classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why it ended."""
        assert isinstance(screen, SessionEnded)
        # Said only when the flow knows there was typing to clear (not after Esc
        # on a menu, or a wait on the card's status).
        why = tr(_WHY.get(screen.reason, ""))
        self.set_text("lead", f"{why} {tr(CLEARED)}" if screen.typed else why)
