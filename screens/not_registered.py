"""The holder never registered for self-service: only the RA team can unlock."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kiosk.flow.states import KioskState, NotRegistered
from screens.language import _
from screens.message_screen import Line, MessageScreen, Texts, slot


class NotRegisteredScreen(MessageScreen):
    """You have not registered for self-service: the RA team can unlock the card."""

    STATE = NotRegistered
    KEY_HINTS = (("Esc", _("Finish")),)
    HEADING = _("You have not registered for self-service")
    LINES = (
        slot("holder", "holder"),
        Line(
            "lead",
            _(
                "A locked card can only be unlocked here if its holder registered for "
                "self-service first. Ask the RA team to unlock your card now, and register "
                "next time.\n\n"
                'Once your card works again, put it in this kiosk and choose "Register for '
                'self-service": then next time you can unlock it yourself.'
            ),
        ),
    )
    CONTACT_RA = True

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Whose card it is (the RA team's contacts follow)."""
        assert isinstance(screen, NotRegistered)
        return {"holder": Text.assemble(_("Card holder: "), (screen.card.name, "bold"))}
