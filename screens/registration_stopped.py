"""The registration stopped part way: nothing was registered."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, RegistrationStopped, StopReason
from screens.language import _
from screens.message_screen import Line, StoppedScreen, Texts, slot


class RegistrationStoppedScreen(StoppedScreen):
    """The registration could not go on; Enter goes back to the card."""

    STATE = RegistrationStopped
    KEY_HINTS = (("Enter", _("Back to my card")), ("Esc", _("Finish")))
    WHY = {
        StopReason.EXPIRED: _("The time to finish registering ran out."),
        StopReason.CODE_VOID: _(
            "The code was typed wrongly too many times, so it no longer works."
        ),
    }
    HEADING = _("You have not been registered")
    LINES = (
        slot("lead"),
        Line(
            "lead",
            _(
                "Any registration you made before is unchanged. Everything you typed has "
                "been cleared.\n\nPress Enter to go back and start again."
            ),
        ),
    )

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say why it stopped."""
        assert isinstance(screen, RegistrationStopped)
        return {"lead": self.why(screen.reason)}
