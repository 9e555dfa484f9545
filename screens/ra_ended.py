"""The RA session has ended (issue 17)."""

from __future__ import annotations

from typing import Any

from kiosk.flow.ra_states import RaEnded
from kiosk.flow.states import KioskState
from screens.language import _
from screens.message_screen import TakeCardScreen, Texts, slot


class RaEndedScreen(TakeCardScreen):
    """Signed out: why, and take the card."""

    STATE = RaEnded
    KEY_HINTS = ((_("Take the card"), _("to finish")),)
    HEADING = _("RA session ended")
    LINES = (slot("why"),)

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Why it ended."""
        assert isinstance(screen, RaEnded)
        return {"why": _("{why}\n\nTake the card out of the reader.", why=screen.why)}
