"""The unlock stopped part way: start a new one with the same card."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, StopReason, UnlockStopped
from screens.language import _
from screens.message_screen import StoppedScreen, Texts, slot


class UnlockStoppedScreen(StoppedScreen):
    """The unlock could not go on; Enter starts again."""

    STATE = UnlockStopped
    KEY_HINTS = (("Enter", _("Start again")), ("Esc", _("Finish")))
    WHY = {
        StopReason.EXPIRED: _("The time to finish unlocking your card ran out."),
        StopReason.CODE_VOID: _(
            "The code was typed wrongly 3 times, so it no longer works and this unlock has stopped."
        ),
    }
    HEADING = _("Your card was not unlocked")
    LINES = (slot("lead"), slot("next"))

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say why it stopped, and exactly what starting again involves."""
        assert isinstance(screen, UnlockStopped)
        if screen.questions_next:
            again = _(
                "Press Enter to start again with the same card: you will answer your "
                "security questions again, then we will email you a new code."
            )
        else:
            again = _(
                "Press Enter to start again with the same card: we will email you a new code."
            )
        return {
            "lead": self.why(screen.reason),
            "next": _("Your passcode has not changed. Everything you typed has been cleared.\n\n")
            + again,
        }
