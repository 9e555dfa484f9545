"""Per-card key derivation and the MACs built on it (docs/design.md section 3).

Shared by the virtual card (which is personalised with the derived keys) and the
unlock service (which derives them on demand from its masters), so both sides
compute exactly the same thing. The kiosk never holds key material.
"""

from __future__ import annotations

import hmac
import secrets
import tomllib
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.algorithms import AES128
from cryptography.hazmat.primitives.cmac import CMAC

KEY_NAMES = ("unblock", "card_auth", "holder_auth")

#: The development masters shipped in the repository (public by design).
DEV_KEYS_PATH = Path(__file__).resolve().parent.parent / "config" / "dev-keys.toml"


@dataclass(frozen=True, repr=False)
class MasterKeys:
    """The three master keys from which every card's keys are derived."""

    unblock: bytes
    card_auth: bytes
    holder_auth: bytes

    def __repr__(self) -> str:  # never print key material
        return "MasterKeys(<redacted>)"

    @classmethod
    def fresh(cls) -> MasterKeys:
        """Three new random 32-byte masters."""
        return cls(*(secrets.token_bytes(32) for _ in KEY_NAMES))

    def master(self, name: str) -> bytes:
        """The master for one of KEY_NAMES."""
        if name not in KEY_NAMES:
            raise ValueError(f"unknown key name {name!r}")
        value: bytes = getattr(self, name)
        return value

    def derive(self, name: str, serial: bytes) -> bytes:
        """K_name for one card: HMAC-SHA256(master_name, serial)[:16]."""
        return derive_card_key(self.master(name), serial)

    def card_keys(self, serial: bytes) -> CardKeys:
        """All three keys of the card with this serial."""
        return CardKeys(
            unblock=self.derive("unblock", serial),
            card_auth=self.derive("card_auth", serial),
            holder_auth=self.derive("holder_auth", serial),
        )

    def is_development(self) -> bool:
        """True when these are the published development masters."""
        try:
            dev = load_master_keys(DEV_KEYS_PATH)
        except (OSError, ValueError):
            return False
        return all(hmac.compare_digest(self.master(n), dev.master(n)) for n in KEY_NAMES)


@dataclass(frozen=True, repr=False)
class CardKeys:
    """The AES-128 keys of one card."""

    unblock: bytes
    card_auth: bytes
    holder_auth: bytes

    def __repr__(self) -> str:
        return "CardKeys(<redacted>)"


def derive_card_key(master: bytes, serial: bytes) -> bytes:
    """HMAC-SHA256(master, serial) truncated to an AES-128 key."""
    if len(serial) != 8:
        raise ValueError("a card serial is 8 bytes")
    return hmac.new(master, serial, sha256).digest()[:16]


def aes_cmac(key: bytes, message: bytes) -> bytes:
    """AES-128-CMAC of message (16 bytes)."""
    mac = CMAC(AES128(key))
    mac.update(message)
    return mac.finalize()


def load_master_keys(path: Path | str) -> MasterKeys:
    """Read masters (hex, 32 bytes each) from a TOML file's [masters] table."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    table = data.get("masters", data)
    values: dict[str, bytes] = {}
    for name in KEY_NAMES:
        raw = table.get(name)
        if not isinstance(raw, str):
            raise ValueError(f"{path}: master {name!r} missing")
        try:
            key = bytes.fromhex(raw)
        except ValueError as exc:
            raise ValueError(f"{path}: master {name!r} is not hex") from exc
        if len(key) < 16:
            raise ValueError(f"{path}: master {name!r} is shorter than 16 bytes")
        values[name] = key
    return MasterKeys(**values)


def write_master_keys(path: Path, masters: MasterKeys) -> Path:
    """Write masters as `load_master_keys` reads them (a [masters] table of hex); the path.

    The file holds the keys themselves: where it goes and who may read it is the
    caller's care.
    """
    lines = ["[masters]"] + [f'{name} = "{masters.master(name).hex()}"' for name in KEY_NAMES]
    path.write_text("\n".join(lines) + "\n")
    return path


def load_dev_keys() -> MasterKeys:
    """The public development masters from config/dev-keys.toml."""
    return load_master_keys(DEV_KEYS_PATH)
