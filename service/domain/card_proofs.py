"""Card proofs: a MAC over a service nonce with a key derived for the card's serial, or,
for a PIV card, a signature checked against its certificate (`piv_proofs`)."""

from __future__ import annotations

import hmac
from typing import Any, Protocol

from sqlalchemy import Connection, Row

from card.keys import aes_cmac
from service.domain import piv_proofs
from service.domain.parts import Kiosk, Parts
from service.domain.throttles import (
    bad_proof_bucket,
    check_not_reached,
    count_proven_start,
    count_within,
)
from service.queries import holders, nonces


class CardProof(Protocol):
    """What a kiosk sends to prove a card: the card's MAC (or PIV signature) over a nonce."""

    @property
    def profile(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def nonce(self) -> str: ...
    @property
    def mac(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...
    @property
    def certificate(self) -> str | None: ...


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
    serial, uuid, nonce = proof.serial, proof.uuid, proof.nonce
    used = nonces.use(conn, nonce, kiosk.id, parts.now())
    holder = holders.find(conn, uuid, for_update=True)
    # Check the proof whatever happened above, so timing says nothing either.
    proof_ok = _proof_checks_out(parts, conn, proof, key_name)
    if used and holder is not None and holder.serial == serial and proof_ok:
        count_proven_start(parts, conn, serial, uuid)
        return holder
    # Counted, never refused here: this failure answers like any other failed proof.
    count_within(parts, conn, bad_proof_bucket(kiosk.id))
    return None


def _proof_checks_out(parts: Parts, conn: Connection, proof: CardProof, key_name: str) -> bool:
    """The MAC (own applet) or the signature and certificate (PIV) alone, not the directory."""
    if proof.profile == "piv":
        return piv_proofs.proof_holds(
            parts,
            conn,
            guid=proof.serial,
            uuid=proof.uuid,
            nonce=proof.nonce,
            signature=proof.signature or "",
            certificate=proof.certificate or "",
            role="card" if key_name == "card_auth" else "holder",
        )
    key = parts.masters.derive(key_name, bytes.fromhex(proof.serial))
    expected = aes_cmac(key, bytes.fromhex(proof.nonce))
    return hmac.compare_digest(expected, bytes.fromhex(proof.mac or ""))


def cryptogram_for(parts: Parts, serial: str, challenge: str) -> str:
    """AES-CMAC(K_unblock, challenge) for the card with this serial."""
    key = parts.masters.derive("unblock", bytes.fromhex(serial))
    return aes_cmac(key, bytes.fromhex(challenge)).hex()
