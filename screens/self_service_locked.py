"""Self-service is locked for this holder: the RA team's contacts, nothing more."""

from __future__ import annotations

from typing import Any

from kiosk.flow.states import KioskState, SelfServiceLocked
from screens.language import _, ngettext
from screens.message_screen import Line, TakeCardScreen, Texts

LOCKED = _(
    "Your card cannot be unlocked at a kiosk: self-service is locked for you "
    "because the security questions were answered wrongly 3 times.\n\n"
    "Take this card and photo ID to the RA team. They can unlock your card and "
    "clear the lock, so you can use self-service again."
)


class SelfServiceLockedScreen(TakeCardScreen):
    """Contact the RA team (docs/design.md: contacts only, no other way forward)."""

    STATE = SelfServiceLocked
    HEADING = _("Contact the RA team to unlock your card")
    LINES = (Line("lead", LOCKED, id="why"),)
    CONTACT_RA = True

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say why (locked, or paused for a while); the RA team's contacts follow."""
        paused_for = screen.paused_for if isinstance(screen, SelfServiceLocked) else None
        return {"why": LOCKED if paused_for is None else paused_text(paused_for)}


def paused_text(seconds: int) -> str:
    """Why self-service is paused, and when it can be tried again, in plain words."""
    hours, minutes = divmod(max(1, (seconds + 59) // 60), 60)
    parts = [
        ngettext("{count} hour", "{count} hours", hours) if hours else "",
        ngettext("{count} minute", "{count} minutes", minutes) if minutes else "",
    ]
    wait = _(" and ").join(part for part in parts if part)
    return _(
        "Self-service is paused for your card because too many wrong codes were "
        "typed for it. We have emailed you about it.\n\n"
        "You can try again here in about {wait}, or the RA team can unlock your "
        "card now: take this card and photo ID to them. If you did not type those "
        "codes, tell the RA team.",
        wait=wait,
    )
