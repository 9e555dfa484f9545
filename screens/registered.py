"""Registered for self-service: the registration's happy ending."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, Registered
from screens.language import _
from screens.message_screen import Line, TakeCardScreen, Texts, slot
from screens.wording import bold_value


class RegisteredScreen(TakeCardScreen):
    """You are registered; take your card."""

    STATE = Registered
    HEADING = _("You are registered for self-service")
    HEADING_CLASSES = "heading success"
    LINES = (
        slot("lead"),
        Line(
            "detail",
            _(
                "If your card ever locks because the passcode was typed wrongly too many "
                "times, put it into a self-service kiosk and answer your security questions. "
                "We will email you a code to unlock it."
            ),
        ),
    )

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say whose registration."""
        assert isinstance(screen, Registered)
        if not screen.name:
            return {"lead": _("You can now unlock your own card here. Take your card now.")}
        return {
            "lead": bold_value(
                _("{name}, you can now unlock your own card here. Take your card now.", name="\0"),
                screen.name,
            )
        }
