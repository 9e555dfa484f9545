"""Answer normalisation and hashing, codes, keyed fingerprints, address checks."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from card.keys import MasterKeys

_WHITESPACE = re.compile(r"\s+")
# [0-9], not \d: \d admits every script's digits, which no phone network dials.
_MOBILE = re.compile(r"^(?:07[0-9]{9}|\+447[0-9]{9})$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_answer(answer: str) -> str:
    """NFKC, case-folded, inner whitespace collapsed to one space, trimmed."""
    folded = unicodedata.normalize("NFKC", answer).casefold()
    # casefold can produce sequences NFKC would change again (e.g. some ligatures).
    folded = unicodedata.normalize("NFKC", folded)
    return _WHITESPACE.sub(" ", folded).strip()


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


def mask_email(email: str) -> str:
    """j***@nhs.net: the first character of the local part, then stars."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def email_domain_approved(email: str, approved: list[str]) -> bool:
    """Whether the address's domain is an approved domain or one of its subdomains."""
    local, at, domain = email.strip().rpartition("@")
    domain = domain.lower()
    # fullmatch: `$` alone also matches before a final newline, which would let
    # "abc\n@nhs.net" through to a mail header.
    if not at or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return False
    for allowed in approved:
        allowed = allowed.lower().strip(".")
        if domain == allowed or domain.endswith("." + allowed):
            return True
    return False


def normalise_mobile(mobile: str) -> str | None:
    """A UK mobile number without spaces (07... or +447...), or None when it is not one."""
    compact = re.sub(r"\s+", "", mobile)
    return compact if _MOBILE.match(compact) else None
