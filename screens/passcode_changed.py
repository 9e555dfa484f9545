"""The card has its new passcode."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, PasscodeChanged
from screens.language import _
from screens.message_screen import TakeCardScreen, Texts, slot
from screens.wording import new_passcode_works


class PasscodeChangedScreen(TakeCardScreen):
    """Your passcode is changed; take your card."""

    STATE = PasscodeChanged
    HEADING = _("Your passcode is changed")
    HEADING_CLASSES = "heading success"
    LINES = (slot("lead"),)

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Whose card, and when."""
        assert isinstance(screen, PasscodeChanged)
        return {
            "lead": new_passcode_works(
                screen.name,
                screen.at,
                _(". Your old passcode no longer works.\n\nTake your card now."),
            )
        }
