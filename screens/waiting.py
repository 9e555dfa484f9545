"""Waiting for a card: the kiosk's resting screen."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, WaitingForCard
from screens.language import _
from screens.message_screen import Line, MessageScreen, Texts, slot

_REGISTER_HERE = _(
    "With a card that works, you can register for self-service here, so that "
    "you can unlock it yourself if it ever locks, or change your passcode."
)
_NO_REGISTRATION = _(
    "With a card that works, you can change your passcode here. You do not need to "
    "register first: unlocking a card here needs only the contact details your "
    "organisation holds for you."
)


class WaitingForCardScreen(MessageScreen):
    """Insert your smartcard; nothing changes on this screen."""

    STATE = WaitingForCard
    ESCAPE_BACKS = False
    HEADING = _("Insert your smartcard")
    LINES = (
        Line(
            "lead",
            _(
                "Put your smartcard into the card reader, chip first and facing up.\n\n"
                "Use this kiosk if your card is locked because the passcode was typed "
                "wrongly too many times. You will need to read your email here or on "
                "your phone."
            ),
        ),
        slot("working"),
        Line(
            "detail",
            _(
                "Lost, stolen or damaged card? Do not use this kiosk: press F1 and "
                "contact the RA team at once. F1 also explains expiring cards, forgotten "
                "passcodes and the terms of self-service."
            ),
        ),
    )

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """What a working card can do here, as the service's policy says."""
        told = self.policy
        needed = told is None or told.registration_needed
        return {"working": _REGISTER_HERE if needed else _NO_REGISTRATION}
