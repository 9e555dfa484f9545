"""The first profile: this project's own unlock applet (docs/design.md section 3).

A thin adapter over `card.reader.CardSession`, which keeps its own API for the
callers that use it directly: the answers are the same APDUs.
"""

from __future__ import annotations

from typing import ClassVar

from card.apdu import AuthKey, PinStatus
from card.closing import Closing
from card.profiles.base import (
    CardIdentity,
    CardProof,
    KeyRole,
    ProfileName,
    UnblockMethod,
)
from card.reader import CardSession


class OwnProfile(Closing):
    """A card with the unlock applet, selected in `session`.

    Unblock (`UnblockMethod.CRYPTOGRAM`): inside `session.transaction()`, read
    `unblock_challenge()`, have the service compute AES-CMAC(K_unblock, challenge),
    then `unblock_with_cryptogram(cryptogram, new)`; no other APDU in between.
    """

    name: ClassVar[ProfileName] = ProfileName.OWN
    unblock_method: ClassVar[UnblockMethod] = UnblockMethod.CRYPTOGRAM

    def __init__(self, session: CardSession) -> None:
        self.session = session

    @classmethod
    def select(cls, session: CardSession) -> OwnProfile:
        """SELECT the unlock applet; raises AppletNotFound (6A82) when it is absent."""
        session.select()
        return cls(session)

    def identity(self) -> CardIdentity:
        """GET DATA 01-04."""
        info = self.session.info()
        return CardIdentity(
            profile=self.name,
            serial=info.serial,
            uuid=info.uuid,
            expiry=info.expiry,
            name=info.name,
        )

    def pin_status(self) -> PinStatus:
        """VERIFY query (P2 81)."""
        return self.session.pin_status()

    def verify(self, passcode: str) -> None:
        """VERIFY the passcode; raises WrongPin or PinBlocked."""
        self.session.verify(passcode)

    def prove_card(self, nonce: bytes) -> CardProof:
        """INTERNAL AUTHENTICATE with the card key: AES-CMAC(K_card_auth, nonce)."""
        mac = self.session.authenticate(AuthKey.CARD, nonce)
        return CardProof(self.name, KeyRole.CARD, nonce, mac)

    def prove_holder(self, nonce: bytes) -> CardProof:
        """INTERNAL AUTHENTICATE with the holder key (after VERIFY)."""
        mac = self.session.authenticate(AuthKey.HOLDER, nonce)
        return CardProof(self.name, KeyRole.HOLDER, nonce, mac)

    def change_passcode(self, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA 81."""
        self.session.change_passcode(old, new)

    def unblock_challenge(self) -> bytes:
        """GET CHALLENGE: 16 bytes for the service's cryptogram (single use)."""
        return self.session.get_challenge()

    def unblock_with_cryptogram(self, cryptogram: bytes, new_passcode: str) -> None:
        """RESET RETRY COUNTER with the cryptogram for the last challenge."""
        self.session.reset_retry_counter(cryptogram, new_passcode)

    def close(self) -> None:
        """Close the session."""
        self.session.close()


__all__ = ["OwnProfile"]
