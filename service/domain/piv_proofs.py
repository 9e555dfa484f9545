"""PIV card proofs: an ECDSA signature over the service's nonce by the 9E or 9A key.

The proof holds when the certificate sent with it chains to the configured card CA,
is valid now, names the card's GUID, carries the very key the holder directory
bound to this card at enrolment (SHA-256 of its SubjectPublicKeyInfo), and the
signature over the nonce verifies with it. 9E (card authentication) needs no PIN, so it proves a
blocked card; 9A (PIV authentication) signs only after VERIFY, so it proves the
holder knows the passcode.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection

from card.piv import ProofRejected, verify_signature_proof
from service.domain.parts import Parts
from service.queries import piv_cards

Role = Literal["card", "holder"]


def key_sha256(certificate: x509.Certificate | bytes) -> str:
    """The fingerprint the directory binds: SHA-256 of the certificate's public key
    (SubjectPublicKeyInfo, DER), hex; "" for bytes that are no certificate."""
    if isinstance(certificate, bytes):
        try:
            certificate = x509.load_der_x509_certificate(certificate)
        except ValueError:
            return ""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def proof_holds(
    parts: Parts,
    conn: Connection,
    *,
    guid: str,
    uuid: str,
    nonce: str,
    signature: str,
    certificate: str,
    role: Role,
) -> bool:
    """Whether the PIV proof holds for this card and holder (see the module docstring).

    Every check runs whatever an earlier one found, so the answer's timing says
    little about which failed; the caller answers every failure alike.
    """
    der = bytes.fromhex(certificate)
    signed = False
    cert: x509.Certificate | None = None
    if parts.card_ca is not None:
        try:
            cert = verify_signature_proof(
                bytes.fromhex(nonce),
                bytes.fromhex(signature),
                der,
                parts.card_ca,
                guid=bytes.fromhex(guid),
                at=parts.clock(),
            )
            signed = True
        except (ProofRejected, ValueError):
            signed = False
    binding = piv_cards.find(conn, guid)
    bound = (
        ""
        if binding is None
        else (binding.card_key_sha256 if role == "card" else binding.holder_key_sha256)
    )
    same_key = hmac.compare_digest(key_sha256(cert) if cert else "", bound or "-")
    return signed and same_key and binding is not None and binding.uuid == uuid
