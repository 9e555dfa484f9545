"""PUK escrow: each PIV card's PUK, sealed at rest, released once per unblock, rotated.

Sealing: AES-256-GCM under a key derived with HKDF-SHA256 from the `unblock` master
(the master that already answers for unblocking own-applet cards), a fresh 96-bit
nonce per value and the card's GUID as associated data, so a sealed PUK cannot be
moved to another card's row. No PUK is ever logged, audited or kept in clear.

Rotation (docs/design.md section 3, "PUK escrow and rotation"). The escrow holds
the card's PUK and, while a rotation is under way, `pending`: the card then holds
one of the two, and the service knows both.
1. `release` (after answers and code): if nothing is pending, choose a fresh PUK and
   record it as pending *before* answering, then hand over (puk, pending, settle=false):
   the kiosk unblocks with `puk` and rotates the card to `pending`.
   If a pending PUK was already recorded (an earlier unblock, or this one, was cut
   off), hand over the same pair with settle=true: the kiosk spends at most one PUK
   try finding which one the card holds and leaves it on `pending`.
2. `rotated(rotation)`: the kiosk saw the card take `pending`; it becomes the PUK.
   A report naming an older rotation changes nothing (a repeat, or a late one).
So a card pulled or a kiosk killed at any APDU leaves the card on a PUK the escrow
holds, and a PUK that reached a kiosk stops working at the next completed rotation.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection

from card.keys import MasterKeys
from card.piv import Puk
from service.queries import puk_escrow

_INFO = b"ssu-service puk escrow v1"
_NONCE_BYTES = 12


class EscrowBroken(RuntimeError):
    """A sealed PUK does not open under this service's keys (wrong keys, or tampering)."""


def escrow_key(masters: MasterKeys) -> bytes:
    """The AES-256 key that seals PUKs: HKDF-SHA256 of the unblock master."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return hkdf.derive(masters.master("unblock"))


def seal(masters: MasterKeys, guid: str, puk: Puk) -> str:
    """nonce || AES-GCM(puk digits), hex, bound to the card's GUID."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(escrow_key(masters)).encrypt(nonce, puk.reveal().encode("ascii"), _aad(guid))
    return (nonce + sealed).hex()


def unseal(masters: MasterKeys, guid: str, sealed: str) -> Puk:
    """The PUK a `seal` made for this card.

    Raises:
        EscrowBroken: it does not open (other keys, another card's row, altered).
    """
    raw = bytes.fromhex(sealed)
    try:
        clear = AESGCM(escrow_key(masters)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(guid)
        )
    except InvalidTag:
        raise EscrowBroken("a sealed PUK does not open under this service's keys") from None
    return Puk(clear.decode("ascii"))


def _aad(guid: str) -> bytes:
    return b"puk-escrow\x1f" + guid.lower().encode("ascii")


def fresh_puk() -> Puk:
    """8 random digits."""
    return Puk(f"{secrets.randbelow(10**8):08d}")


@dataclass(frozen=True)
class Release:
    """What a kiosk gets to unblock one PIV card (never logged: repr hides it)."""

    puk: Puk = field(repr=False)
    next_puk: Puk = field(repr=False)
    settle: bool
    rotation: int


def enrol(masters: MasterKeys, conn: Connection, guid: str, puk: Puk, now: float) -> None:
    """Escrow a card's PUK (IntegrityError when the card already has one)."""
    puk_escrow.add(conn, guid, seal(masters, guid, puk), now)


def has_escrow(conn: Connection, guid: str) -> bool:
    """Whether the service holds this card's PUK."""
    return puk_escrow.find(conn, guid) is not None


def release(masters: MasterKeys, conn: Connection, guid: str, now: float) -> Release | None:
    """The card's PUK and the PUK to rotate it to (recorded first); None: none escrowed."""
    row = puk_escrow.find(conn, guid, for_update=True)
    if row is None:
        return None
    puk = unseal(masters, guid, row.puk)
    if row.pending is not None:
        return Release(puk, unseal(masters, guid, row.pending), True, row.rotation)
    pending = fresh_puk()
    while pending == puk:  # pragma: no cover - one in 10**8
        pending = fresh_puk()
    rotation = row.rotation + 1
    puk_escrow.change(
        conn, guid, puk=row.puk, pending=seal(masters, guid, pending), rotation=rotation, at=now
    )
    return Release(puk, pending, False, rotation)


def rotated(conn: Connection, guid: str, rotation: int, now: float) -> bool:
    """The card took the pending PUK of `rotation`; False when that was already recorded."""
    row = puk_escrow.find(conn, guid, for_update=True)
    if row is None or row.pending is None or row.rotation != rotation:
        return False
    puk_escrow.change(conn, guid, puk=row.pending, pending=None, rotation=rotation + 1, at=now)
    return True
