"""The card is unlocked: the journey's happy ending."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, Unlocked
from screens.language import _
from screens.message_screen import TakeCardScreen, Texts, slot
from screens.widgets import short_contact
from screens.wording import new_passcode_works


class UnlockedScreen(TakeCardScreen):
    """Your card is unlocked: take your card."""

    STATE = Unlocked
    HEADING = _("Your card is unlocked")
    HEADING_CLASSES = "heading success"
    LINES = (slot("lead"), slot("detail", "detail"))

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say whose card, when, and what email follows."""
        assert isinstance(screen, Unlocked)
        contact = short_contact(self.ra_contacts)
        detail = (
            _(
                "We will email you to say your card was unlocked at {kiosk}. If it was not "
                "you who unlocked it, contact {contact} at once.",
                kiosk=self.kiosk_name,
                contact=contact,
            )
            if self.kiosk_name
            else _(
                "We will email you to say your card was unlocked. If it was not "
                "you who unlocked it, contact {contact} at once.",
                contact=contact,
            )
        )
        lead = new_passcode_works(screen.name, screen.at, _(".\n\nTake your card now."))
        return {"lead": lead, "detail": detail}
