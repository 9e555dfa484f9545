"""The card-proof members of a request body (docs/api.md "Card proofs"), for every
client that proves a card to the service (the holder's journeys and the RA desk)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PivSignature:
    """A PIV card's proof: its ECDSA signature over the nonce and the signing key's
    DER certificate (9E for an unlock, 9A for a registration)."""

    signature: bytes
    certificate: bytes


CardProofValue = bytes | str | PivSignature
"""An own-applet MAC (bytes or hex), or a PIV card's signature and certificate."""


def hex_text(value: bytes | str) -> str:
    """Bytes as lower-case hex; hex text lower-cased."""
    return value.hex() if isinstance(value, bytes) else value.lower()


def card_proof_json(
    serial: bytes | str, uuid: str, nonce: bytes | str, proof: CardProofValue
) -> dict[str, str]:
    """The card-proof members of a start body (docs/api.md "Card proofs")."""
    body = {"serial": hex_text(serial), "uuid": uuid, "nonce": hex_text(nonce)}
    if isinstance(proof, PivSignature):
        body["profile"] = "piv"
        body["signature"] = proof.signature.hex()
        body["certificate"] = proof.certificate.hex()
    else:
        body["mac"] = hex_text(proof)
    return body
