"""Checking the card with the unlock service before the journey starts."""

from __future__ import annotations

from kiosk.flow.states import StartingUnlock
from screens.language import _
from screens.message_screen import MessageScreen


class StartingUnlockScreen(MessageScreen):
    """Checking your card with the unlock service: wait."""

    STATE = StartingUnlock
    HELP_TOPIC = None
    KEY_HINTS = (("Esc", _("Stop")),)
    HEADING = _("Checking your card…")
    MESSAGE = _(
        "We are checking your card with the unlock service. Please wait.\n\n"
        "Do not remove your card."
    )
