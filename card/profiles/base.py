"""The card-profile seam: the questions the kiosk asks a card, whatever it speaks.

A profile wraps an open `card.reader.CardSession` whose application it has
selected, and answers in the same types for every profile:

| question | method | own applet | PIV |
|---|---|---|---|
| who is it | `identity()` | GET DATA 01-04 | CHUID + 9A certificate |
| passcode state | `pin_status()` | VERIFY query 81 | VERIFY query 80 |
| right passcode? | `verify(passcode)` | VERIFY 81 | VERIFY 80 |
| prove the card | `prove_card(nonce)` | INT. AUTH 01, AES-CMAC | GEN. AUTH 9E, ECDSA |
| prove the holder | `prove_holder(nonce)` | INT. AUTH 02 | GEN. AUTH 9A |
| change passcode | `change_passcode(old, new)` | CHANGE REF. DATA 81 | CHANGE REF. DATA 80 |
| unblock | see `unblock_method` | challenge + cryptogram | PUK, then a new PUK |

"prove the card" needs no passcode (it works on a blocked card); "prove the
holder" needs VERIFY first in the same session.

Unblocking is the one question whose inputs differ, because what the service
hands over differs: `unblock_method` says which, and the profile class has the
calls for it (`OwnProfile.unblock_challenge` / `unblock_with_cryptogram`;
`PivProfile.unblock_with_puk` / `rotate_puk` / `settle_puk`).

Errors are the card layer's own (`card.apdu`: WrongPin with tries_left, PinBlocked,
AppletNotFound ...; `card.piv`: WrongPuk, PukBlocked, ProofRejected; `card.pcsc`
for the reader). Every method blocks on PC/SC: call it from a worker thread.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import ClassVar, Protocol

from card.apdu import PinStatus
from card.reader import CardSession


class ProfileName(enum.Enum):
    """Which application a card speaks."""

    OWN = "own"
    PIV = "piv"


class UnblockMethod(enum.Enum):
    """What the service must hand over to unblock a card of this profile."""

    #: The service's AES-CMAC cryptogram over a fresh card challenge (no secret leaves it).
    CRYPTOGRAM = "cryptogram"
    #: The card's escrowed PUK (and the fresh PUK it is rotated to).
    PUK = "puk"


class KeyRole(enum.Enum):
    """Which card key made a proof."""

    CARD = "card"  # no passcode needed: proves the card is the one issued
    HOLDER = "holder"  # after VERIFY: proves the holder knows the passcode


@dataclass(frozen=True)
class CardIdentity:
    """Who a card belongs to, read without the passcode.

    Attributes:
        profile: The application the card speaks.
        serial: The card's identity: own applet, the 8-byte serial (GET DATA 01);
            PIV, the 16-byte GUID of the CHUID.
        uuid: The holder's 12-digit UUID: own applet, GET DATA 02; PIV, the UID
            attribute of the 9A certificate's subject (None when it has none: the
            holder directory's binding of the GUID then says who it is).
        expiry: The card's expiry date (own GET DATA 03; PIV CHUID tag 35).
        name: The holder's name: own GET DATA 04; PIV, the 9A certificate's CN
            (None when absent; `PivProfile.printed_name()` reads the printed
            information after VERIFY).
    """

    profile: ProfileName
    serial: bytes
    uuid: str | None
    expiry: dt.date
    name: str | None

    @property
    def serial_hex(self) -> str:
        """The serial (or GUID) as lower-case hex: 16 digits own, 32 digits PIV."""
        return self.serial.hex()


@dataclass(frozen=True, repr=False)
class CardProof:
    """A card's answer to a nonce: the MAC or signature, and what checks it.

    Attributes:
        profile: The application that made it.
        role: The card key (no passcode) or the holder key (after VERIFY).
        nonce: The nonce it answers (the service's).
        value: Own applet: the 16-byte AES-CMAC (the service derives the key).
            PIV: the DER ECDSA-SHA256 signature over the nonce.
        certificate: PIV: the DER certificate of the key that signed (9E card,
            9A holder), for `card.piv.verify_signature_proof` with the card CA.
            Own applet: None.
    """

    profile: ProfileName
    role: KeyRole
    nonce: bytes
    value: bytes
    certificate: bytes | None = None

    def __repr__(self) -> str:
        return f"CardProof({self.profile.value}, {self.role.value}, {len(self.value)} bytes)"


class CardProfile(Protocol):
    """The questions every profile answers (see the module docstring)."""

    #: Which application this is.
    name: ClassVar[ProfileName]
    #: What the service hands over to unblock it.
    unblock_method: ClassVar[UnblockMethod]
    #: The open session, with this profile's application selected.
    session: CardSession

    def identity(self) -> CardIdentity:
        """Who the card belongs to (no passcode needed)."""
        ...

    def pin_status(self) -> PinStatus:
        """Verified / working with tries left / blocked, without spending a try."""
        ...

    def verify(self, passcode: str) -> None:
        """VERIFY the passcode.

        Raises:
            card.apdu.WrongPin: Wrong; `tries_left` more before the card blocks.
            card.apdu.PinBlocked: Blocked (also on the try that blocks it).
        """
        ...

    def prove_card(self, nonce: bytes) -> CardProof:
        """The card key's answer to the service's nonce (works on a blocked card)."""
        ...

    def prove_holder(self, nonce: bytes) -> CardProof:
        """The holder key's answer to the nonce; VERIFY first in this session.

        Raises:
            card.apdu.SecurityNotSatisfied: The passcode is not verified.
        """
        ...

    def change_passcode(self, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA of the passcode; raises WrongPin or PinBlocked."""
        ...

    def close(self) -> None:
        """Close the session (the card stays in the reader)."""
        ...
