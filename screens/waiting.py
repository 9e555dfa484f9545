"""Waiting for a card: the kiosk's resting screen."""

from __future__ import annotations

from kiosk.flow.states import WaitingForCard
from screens.language import _
from screens.message_screen import Line, MessageScreen


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
        Line(
            "lead",
            _(
                "With a card that works, you can register for self-service here, so that "
                "you can unlock it yourself if it ever locks, or change your passcode."
            ),
        ),
        Line(
            "detail",
            _(
                "Lost, stolen or damaged card? Do not use this kiosk: press F1 and "
                "contact the RA team at once. F1 also explains expiring cards, forgotten "
                "passcodes and the terms of self-service."
            ),
        ),
    )
