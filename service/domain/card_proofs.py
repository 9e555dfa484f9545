"""Card proofs: a MAC over a service nonce with a key derived for the card's serial."""

from __future__ import annotations

import hmac
from typing import Any, Protocol

from sqlalchemy import Connection, Row

from card.keys import aes_cmac
from service.domain.parts import Kiosk, Parts
from service.domain.throttles import (
    bad_proof_bucket,
    check_not_reached,
    count_proven_start,
    count_within,
)
from service.queries import holders, nonces


class CardProof(Protocol):
    """What a kiosk sends to prove a card: the card's MAC over a service nonce."""

    @property
    def serial(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def mac(self) -> str: ...


def proven_holder(
    parts: Parts, conn: Connection, kiosk: Kiosk, proof: CardProof, key_name: str
) -> Row[Any] | None:
    """The holder (locked for update) when the card proof holds, else None.

    The nonce is used up either way. An unknown uuid, or a serial not bound to
    it, fails exactly like a bad MAC. A proof that holds counts against its card's
    and holder's throttles; one that fails counts only against the kiosk's bound
    on failed proofs, so nobody without the card can use up the holder's.

    Raises:
        Throttled: the kiosk is past its failed-proof bound (checked before the
            proof), or the proven card or holder past theirs.
    """
    limit = parts.settings.throttle.bad_proofs_per_kiosk
    check_not_reached(parts, conn, bad_proof_bucket(kiosk.id), limit)
    serial, uuid, nonce, mac = proof.serial, proof.uuid, proof.nonce, proof.mac
    used = nonces.use(conn, nonce, kiosk.id, parts.now())
    holder = holders.find(conn, uuid, for_update=True)
    # Compute the MAC whatever happened above, so timing says nothing either.
    expected = aes_cmac(parts.masters.derive(key_name, bytes.fromhex(serial)), bytes.fromhex(nonce))
    mac_ok = hmac.compare_digest(expected, bytes.fromhex(mac))
    if used and holder is not None and holder.serial == serial and mac_ok:
        count_proven_start(parts, conn, serial, uuid)
        return holder
    # Counted, never refused here: this failure answers like any other failed proof.
    count_within(parts, conn, bad_proof_bucket(kiosk.id))
    return None


def cryptogram_for(parts: Parts, serial: str, challenge: str) -> str:
    """AES-CMAC(K_unblock, challenge) for the card with this serial."""
    key = parts.masters.derive("unblock", bytes.fromhex(serial))
    return aes_cmac(key, bytes.fromhex(challenge)).hex()
