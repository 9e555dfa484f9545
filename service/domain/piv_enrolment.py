"""Enrolling a PIV card: bind it to its holder in the directory and escrow its PUK.

What the RA's enrolment station read from the card (its 9E and 9A certificates,
whose subjectAltName names the card's GUID) and the PUK it set on the card (a
random one in place of the factory PUK: docs/design.md section 3, "Enrolling a PIV
card") arrive here; the certificates must chain to the configured card CA and name
the same GUID, and the 9A certificate's UID, when it has one, must be the holder's
UUID. One transaction adds the holder (unless the directory has them, unbound to
another card), the card's key binding and the sealed PUK, and audits it (never
the PUK).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy.exc import IntegrityError

from card.piv import ProofRejected, Puk, certificate_guid, check_certificate
from service.domain import piv_proofs, puk_escrow
from service.domain.audit import record
from service.domain.parts import Parts
from service.queries import holders, piv_cards


class EnrolmentRefused(ValueError):
    """The card, its certificates or the directory do not allow this enrolment."""


@dataclass(frozen=True, repr=False)
class PivEnrolment:
    """One card to enrol (the repr never shows the PUK)."""

    uuid: str
    name: str
    email: str
    mobile: str
    card_certificate: bytes
    holder_certificate: bytes
    puk: Puk

    def __repr__(self) -> str:
        return f"PivEnrolment({self.uuid}, <redacted>)"


def enrol_card(parts: Parts, card: PivEnrolment, *, demo: bool = False) -> str:
    """Enrol the card; its GUID (32 hex), which the directory now binds to the holder.

    Raises:
        EnrolmentRefused: no card CA configured, a certificate that does not check
            out, GUIDs that differ, a UID that is not the holder's, or a holder or
            card already bound otherwise.
    """
    if not re.fullmatch(r"\d{12}", card.uuid):
        raise EnrolmentRefused("uuid is 12 digits")
    if parts.card_ca is None:
        raise EnrolmentRefused("no card CA is configured (piv_card_ca_file)")
    try:
        card_cert = x509.load_der_x509_certificate(card.card_certificate)
        holder_cert = x509.load_der_x509_certificate(card.holder_certificate)
    except ValueError as exc:
        raise EnrolmentRefused("a certificate is not valid DER") from exc
    guid = certificate_guid(card_cert)
    if guid is None or certificate_guid(holder_cert) != guid:
        raise EnrolmentRefused("the 9E and 9A certificates must name the same card GUID")
    try:
        for cert in (card_cert, holder_cert):
            check_certificate(cert, parts.card_ca, guid=guid, at=parts.clock())
    except ProofRejected as exc:
        raise EnrolmentRefused(str(exc)) from exc
    uids = holder_cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    if uids and str(uids[0].value) != card.uuid:
        raise EnrolmentRefused("the 9A certificate names another holder")
    guid_hex = guid.hex()
    now = parts.now()
    try:
        with parts.transaction() as conn:
            known = holders.find(conn, card.uuid, for_update=True)
            if known is None:
                holders.add(
                    conn,
                    uuid=card.uuid,
                    serial=guid_hex,
                    name=card.name,
                    email=card.email,
                    mobile=card.mobile,
                    registered=False,
                    failed_attempts=0,
                    demo=demo,
                )
            elif known.serial != guid_hex:
                raise EnrolmentRefused("this holder is bound to another card")
            piv_cards.add(
                conn,
                guid=guid_hex,
                uuid=card.uuid,
                card_key_sha256=piv_proofs.key_sha256(card_cert),
                holder_key_sha256=piv_proofs.key_sha256(holder_cert),
                at=now,
            )
            puk_escrow.enrol(parts.masters, conn, guid_hex, card.puk, now)
            record(
                parts,
                conn,
                "piv_card_enrolled",
                "ok",
                source="ra",
                uuid=card.uuid,
                serial=guid_hex,
            )
    except IntegrityError as exc:
        raise EnrolmentRefused("this card or holder is already enrolled") from exc
    return guid_hex
