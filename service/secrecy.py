"""Answer normalisation and hashing, codes, keyed fingerprints, address checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from card.keys import MasterKeys
from contract.answers import normalise_answer
from contract.contacts import email_approved, mask_email, normalise_mobile

__all__ = [
    "AnswerHasher",
    "Fingerprinter",
    "email_domain_approved",
    "mask_email",
    "new_code",
    "new_id",
    "new_token",
    "normalise_answer",
    "normalise_mobile",
    "token_hash",
]


class AnswerHasher:
    """argon2id of normalised answers; slow on purpose, so call it off the event loop."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    def hash(self, answer: str) -> str:
        """A salted argon2id hash of the normalised answer."""
        return self._hasher.hash(normalise_answer(answer))

    def verify(self, answer_hash: str, answer: str) -> bool:
        """Whether answer matches answer_hash after normalisation."""
        try:
            return self._hasher.verify(answer_hash, normalise_answer(answer))
        except (VerificationError, InvalidHashError):
            return False


class Fingerprinter:
    """Keyed hashes (HMAC-SHA256) for codes and idempotency fingerprints.

    The key is derived from the master keys, so every instance of a deployment
    agrees without another secret to distribute, and a copy of the database alone
    cannot test guesses of an 8-digit code.
    """

    def __init__(self, masters: MasterKeys) -> None:
        self._key = hmac.new(
            masters.master("card_auth"), b"ssu-service fingerprint key v1", hashlib.sha256
        ).digest()

    def __call__(self, *parts: str) -> str:
        """HMAC of the parts, unambiguously joined."""
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def matches(self, expected: str, *parts: str) -> bool:
        """Constant-time comparison of a stored fingerprint with fresh parts."""
        return hmac.compare_digest(expected, self(*parts))


def new_code() -> str:
    """8 random decimal digits."""
    return f"{secrets.randbelow(10**8):08d}"


def new_id() -> str:
    """An opaque random identifier (128 bits, hex)."""
    return secrets.token_hex(16)


def new_token() -> str:
    """A kiosk bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of a kiosk token as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def email_domain_approved(email: str, approved: list[str]) -> bool:
    """Whether the address is well formed and its domain (or a parent) approved."""
    return email_approved(email, approved)
