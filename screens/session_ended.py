"""The session ended (timed out or cancelled) with the card still in."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import EndReason, KioskState, SessionEnded
from screens.language import _, tr
from screens.message_screen import Line, NoChoiceScreen, Texts, slot

_WHY = {
    EndReason.TIMED_OUT: _("Your session ended because nothing was typed for a while."),
    EndReason.CANCELLED: _("You stopped."),
}
CLEARED = _("Everything you typed has been cleared.")


class SessionEndedScreen(NoChoiceScreen):
    """Session ended: take your card, or Enter to start again with it."""

    STATE = SessionEnded
    ENTER_CONTINUES = True
    KEY_HINTS = (("Enter", _("Start again")),)
    HEADING = _("Your session has ended")
    LINES = (
        slot("lead"),
        Line("lead", _("Take your card, or press Enter to start again with it.")),
    )

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say why it ended."""
        assert isinstance(screen, SessionEnded)
        # Said only when the flow knows there was typing to clear (not after Esc
        # on a menu, or a wait on the card's status).
        why = tr(_WHY.get(screen.reason, ""))
        return {"lead": f"{why} {tr(CLEARED)}" if screen.typed else why}
