"""Per-card key derivation: one definition shared by the card and the service."""

from __future__ import annotations

import hmac
from hashlib import sha256
from pathlib import Path

from card.keys import (
    DEV_KEYS_PATH,
    KEY_NAMES,
    MasterKeys,
    aes_cmac,
    derive_card_key,
    load_dev_keys,
    load_master_keys,
    write_master_keys,
)


def test_derivation_is_hmac_sha256_truncated() -> None:
    masters = load_dev_keys()
    serial = bytes.fromhex("0102030405060708")
    expected = hmac.new(masters.unblock, serial, sha256).digest()[:16]
    assert masters.derive("unblock", serial) == expected == derive_card_key(masters.unblock, serial)
    keys = masters.card_keys(serial)
    assert len({keys.unblock, keys.card_auth, keys.holder_auth}) == 3


def test_aes_cmac_matches_rfc4493_example() -> None:
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    msg = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert aes_cmac(key, msg) == bytes.fromhex("070a16b46b4d4144f79bdd9dd04a287c")


def test_dev_keys_are_marked_public_and_never_printed() -> None:
    assert "PUBLIC DEVELOPMENT KEYS" in DEV_KEYS_PATH.read_text()
    masters = load_dev_keys()
    assert masters.is_development()
    assert masters.unblock.hex() not in repr(masters)
    assert masters.unblock.hex() not in repr(masters.card_keys(bytes(8)))


def test_fresh_masters_written_read_back_the_same(tmp_path: Path) -> None:
    masters, other = MasterKeys.fresh(), MasterKeys.fresh()
    assert all(len(masters.master(n)) == 32 for n in KEY_NAMES)
    assert masters != other and not masters.is_development()
    path = write_master_keys(tmp_path / "keys.toml", masters)
    assert load_master_keys(path) == masters
