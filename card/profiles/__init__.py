"""Card profiles: one set of questions (`CardProfile`), answered by each application.

    with open_profile() as card:             # SELECTs the applications the card has
        who = card.identity()                # CardIdentity, same shape for every profile
        state = card.pin_status()
        proof = card.prove_card(nonce)       # CardProof: MAC (own) or signature + cert (PIV)
        if card.unblock_method is UnblockMethod.PUK: ...

`detect_profile(session)` picks the profile of a card in an open session opened
with `CardSession.open(select=False)`; see `card.profiles.base` for the
interface and `own` / `piv` for what each profile adds (its unblock calls).
"""

from __future__ import annotations

from card.apdu import AppletNotFound, CardProtocolError, CardStatusError
from card.profiles.base import (
    CardIdentity,
    CardProfile,
    CardProof,
    KeyRole,
    ProfileName,
    UnblockMethod,
)
from card.profiles.own import OwnProfile
from card.profiles.piv import PivProfile
from card.reader import CardSession

#: Tried in this order: our applet first (every card issued so far), then PIV.
PROFILES: tuple[type[OwnProfile] | type[PivProfile], ...] = (OwnProfile, PivProfile)


class UnknownCard(AppletNotFound):
    """The card holds none of the applications a profile speaks."""


def detect_profile(session: CardSession) -> OwnProfile | PivProfile:
    """SELECT each known application in turn; the profile of the first the card has.

    A refusal (any status word) or a malformed SELECT answer means "not this
    one"; reader failures (`card.pcsc` errors: removed, unresponsive) pass through.

    Raises:
        UnknownCard: Neither the unlock applet nor PIV answered SELECT.
    """
    for profile in PROFILES:
        try:
            return profile.select(session)
        except (CardStatusError, CardProtocolError):
            continue
    raise UnknownCard(0x6A82, "This card holds no application this kiosk can use")


def open_profile(
    reader: str | None = None, transmit_timeout: float | None = None
) -> OwnProfile | PivProfile:
    """Connect to the card (reader choice as `CardSession.open`) and detect its profile.

    The caller closes it (`with open_profile() as card:`).
    """
    session = CardSession.open(reader, transmit_timeout=transmit_timeout, select=False)
    try:
        return detect_profile(session)
    except BaseException:
        session.close()
        raise


__all__ = [
    "PROFILES",
    "CardIdentity",
    "CardProfile",
    "CardProof",
    "KeyRole",
    "OwnProfile",
    "PivProfile",
    "ProfileName",
    "UnblockMethod",
    "UnknownCard",
    "detect_profile",
    "open_profile",
]
