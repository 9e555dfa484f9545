"""The holder cannot unlock here: never registered for self-service or, where the policy
needs no registration, no contact details on record. Only the RA team can unlock."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kiosk.flow.states import KioskState, NotRegistered
from screens.language import _
from screens.message_screen import MessageScreen, Texts, slot

_NOT_REGISTERED = _(
    "A locked card can only be unlocked here if its holder registered for "
    "self-service first. Ask the RA team to unlock your card now, and register "
    "next time.\n\n"
    'Once your card works again, put it in this kiosk and choose "Register for '
    'self-service": then next time you can unlock it yourself.'
)
_NOT_ON_RECORD = {
    "national-2023": _(
        "To unlock a card here we send a code to the email address or mobile phone "
        "number your organisation holds for you, and neither is on record for you. Ask "
        "the RA team to unlock your card now, and to add your email address and mobile "
        "phone number to your record."
    ),
    "two-channel": _(
        "To unlock a card here we send one code to your email address and another to "
        "your mobile phone, and your record does not have both. Ask the RA team to "
        "unlock your card now, and to add your email address and mobile phone number "
        "to your record."
    ),
}
"""Where no registration is needed (by policy): why the service found no way to send
the code (docs/api.md: 409 not_registered)."""
_NO_EMAIL_ON_RECORD = _(
    "To unlock a card here we email a code to the address your organisation holds for "
    "you, and there is none on record for you. Ask the RA team to unlock your card now, "
    "and to add your email address to your record."
)
"""national-2023 where no text can be sent: only an email address will do."""


class NotRegisteredScreen(MessageScreen):
    """You have not registered (or, by policy, no details on record): the RA team can
    unlock the card."""

    STATE = NotRegistered
    KEY_HINTS = (("Esc", _("Finish")),)
    HEADING = _("You have not registered for self-service")
    LINES = (slot("holder", "holder"), slot("lead"))
    CONTACT_RA = True

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Whose card it is, and why it cannot be unlocked here under the service's policy
        (the RA team's contacts follow)."""
        assert isinstance(screen, NotRegistered)
        holder = Text.assemble(_("Card holder: "), (screen.card.name, "bold"))
        told = self.policy
        if told is None or told.registration_needed or told.policy not in _NOT_ON_RECORD:
            heading, lead = _("You have not registered for self-service"), _NOT_REGISTERED
        else:
            heading = _("Your contact details are not on record")
            email_only = told.policy == "national-2023" and not told.texts
            lead = _NO_EMAIL_ON_RECORD if email_only else _NOT_ON_RECORD[told.policy]
        return {"heading": heading, "holder": holder, "lead": lead}
