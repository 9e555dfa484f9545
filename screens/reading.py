"""Reading the card that was just inserted."""

from __future__ import annotations

from kiosk.flow.states import ReadingCard
from screens.language import _
from screens.message_screen import NoChoiceScreen


class ReadingCardScreen(NoChoiceScreen):
    """Reading your card: wait, do not remove it."""

    STATE = ReadingCard
    HEADING = _("Reading your card…")
    MESSAGE = _("Please wait. This takes a few seconds.\n\nDo not remove your card.")
