"""The PIV card application's behaviour, as the virtual PIV card runs it.

Pure logic: a command APDU in, a response APDU out (the vpcd transport is
`card.virtual`, shared with the unlock applet). It follows NIST SP 800-73-4
part 2 for what this project and OpenSC use: SELECT with the application
property template, GET DATA (CHUID, discovery, printed information behind the
PIN, the 9A and 9E certificates), VERIFY (with the empty query and P1 FF),
CHANGE REFERENCE DATA of PIN (80) and PUK (81), RESET RETRY COUNTER with the PUK,
GENERAL AUTHENTICATE with the two ECC P-256 keys, command chaining (CLA 10) and
GET RESPONSE (61xx) for answers longer than one short APDU.

The card keeps its PIN and PUK as a real chip keeps reference data: it can check
a value, never give one back. Here that is a salted scrypt digest per value, so
neither this object nor its state file ever holds a PIN or PUK in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from card import piv, tlv
from card.applet_session import AppletSession
from card.piv import SW, DataObject, Ins, Slot
from card.piv_ca import PivCredentials

MAX_PIN_TRIES = 3
MAX_PUK_TRIES = 3
#: Longest answer in one response APDU; the rest waits for GET RESPONSE.
CHUNK = 256
_SCRYPT = {"n": 2**12, "r": 8, "p": 1}


@dataclass(frozen=True, repr=False)
class ReferenceData:
    """A PIN or PUK as the card stores it: a salt and scrypt(value block, salt)."""

    salt: bytes
    digest: bytes

    def __repr__(self) -> str:
        return "ReferenceData(<redacted>)"

    @classmethod
    def of(cls, value: str, salt: bytes | None = None) -> ReferenceData:
        """Reference data for a 6-8 digit value (validated)."""
        salt = salt if salt is not None else os.urandom(16)
        return cls(salt, _digest(piv.encode_reference(value), salt))

    def matches(self, block: bytes) -> bool:
        """Whether an 8-byte block (padded value) is this value."""
        return hmac.compare_digest(_digest(block, self.salt), self.digest)

    def to_json(self) -> dict[str, str]:
        """For the state file: salt and digest in hex."""
        return {"salt": self.salt.hex(), "scrypt": self.digest.hex()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferenceData:
        """Inverse of to_json."""
        return cls(bytes.fromhex(str(data["salt"])), bytes.fromhex(str(data["scrypt"])))


def _digest(block: bytes, salt: bytes) -> bytes:
    return hashlib.scrypt(block, salt=salt, dklen=32, **_SCRYPT)


@dataclass
class PivPersonalisation:
    """What a PIV card is issued with. PIN, PUK and counters change over its life."""

    guid: bytes
    uuid: str
    name: str
    expiry: dt.date
    pin: ReferenceData
    puk: ReferenceData
    credentials: PivCredentials = field(repr=False)
    pin_tries_left: int = MAX_PIN_TRIES
    puk_tries_left: int = MAX_PUK_TRIES

    def __post_init__(self) -> None:
        if len(self.guid) != 16 or self.guid == bytes(16):
            raise ValueError("a PIV card's GUID is 16 bytes, not all zero")
        if len(self.uuid) != 12 or not self.uuid.isdigit():
            raise ValueError("uuid must be 12 digits")
        if not 0 <= self.pin_tries_left <= MAX_PIN_TRIES:
            raise ValueError(f"pin_tries_left must be 0..{MAX_PIN_TRIES}")
        if not 0 <= self.puk_tries_left <= MAX_PUK_TRIES:
            raise ValueError(f"puk_tries_left must be 0..{MAX_PUK_TRIES}")

    @property
    def pin_blocked(self) -> bool:
        """No PIN try left."""
        return self.pin_tries_left == 0

    @property
    def puk_blocked(self) -> bool:
        """No PUK try left: the card can never be unblocked again."""
        return self.puk_tries_left == 0


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


def _tries_word(left: int) -> int:
    return 0x63C0 | left


def _compared(
    reference: ReferenceData, block: bytes, tries_left: int, most: int
) -> tuple[int, int]:
    """Compare a block with the PIN or PUK: the status to answer, and the tries left after
    (a match fills them again to `most`, a miss counts one, none left refuses at once)."""
    if tries_left == 0:
        return SW.BLOCKED, 0
    if reference.matches(block):
        return SW.OK, most
    return _tries_word(tries_left - 1), tries_left - 1


class PivApplet(AppletSession[PivPersonalisation]):
    """One PIV card: persistent personalisation plus a volatile session.

    Plugs into `card.virtual.VirtualCard` like the unlock applet: `process()` and
    `reset()`.
    """

    def __init__(
        self,
        card: PivPersonalisation,
        *,
        on_change: Callable[[PivPersonalisation], None] | None = None,
    ) -> None:
        super().__init__(card, on_change)
        self._chain: tuple[int, int, int, bytes] | None = None
        self._pending: bytes = b""

    # -- session ----------------------------------------------------------

    def reset(self) -> None:
        """Power off or reset: the session is forgotten (verification, selection)."""
        super().reset()
        self._chain = None
        self._pending = b""

    # -- transport --------------------------------------------------------

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU (short APDUs, cases 1 to 4, chaining, GET RESPONSE)."""
        if len(command) < 4:
            return _sw(SW.WRONG_LENGTH)
        cla, ins, p1, p2 = command[0], command[1], command[2], command[3]
        parsed = _body(command[4:])
        if parsed is None:
            return _sw(SW.WRONG_LENGTH)
        data, le = parsed
        if cla & ~0x10 != 0x00:
            return _sw(SW.CLA_NOT_SUPPORTED)
        pending, self._pending = self._pending, b""
        if ins == Ins.GET_RESPONSE and not cla & 0x10:
            if not pending:
                return _sw(0x6985)
            return self._answer(pending, le)
        chain, self._chain = self._chain, None
        if cla & 0x10:
            prefix = chain[3] if chain is not None and chain[:3] == (ins, p1, p2) else b""
            if len(prefix) + len(data) > 4096:
                return _sw(SW.WRONG_LENGTH)
            self._chain = (ins, p1, p2, prefix + data)
            return _sw(SW.OK)
        if chain is not None:
            if chain[:3] != (ins, p1, p2):
                return _sw(SW.LAST_COMMAND_EXPECTED)
            data = chain[3] + data
        sw, answer = self._dispatch(ins, p1, p2, data)
        if sw != SW.OK:
            return _sw(sw)
        return self._answer(answer, le)

    def _answer(self, data: bytes, le: int | None) -> bytes:
        """The first chunk of `data`; 61xx says how much GET RESPONSE can fetch."""
        size = CHUNK if not le else le
        head, rest = data[:size], data[size:]
        if rest:
            self._pending = rest
            return _sw(0x6100 | min(len(rest), 0x100) & 0xFF, head)
        return _sw(SW.OK, head)

    def _dispatch(self, ins: int, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if ins == Ins.SELECT:
            return self._select(p1, p2, data)
        handlers: dict[int, Callable[[int, int, bytes], tuple[int, bytes]]] = {
            Ins.GET_DATA: self._get_data,
            Ins.VERIFY: self._verify,
            Ins.CHANGE_REFERENCE_DATA: self._change,
            Ins.RESET_RETRY_COUNTER: self._reset_retry_counter,
            Ins.GENERAL_AUTHENTICATE: self._general_authenticate,
        }
        handler = handlers.get(ins)
        if handler is None or not self.selected:
            # No application that knows this instruction is selected.
            return SW.INS_NOT_SUPPORTED, b""
        return handler(p1, p2, data)

    # -- commands ---------------------------------------------------------

    def _select(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if p1 != 0x04:
            return SW.INCORRECT_P1P2, b""
        # The full AID or its right-truncated form (SP 800-73-4 part 2, 3.1.1).
        if len(data) < len(piv.AID_SHORT) or not piv.AID.startswith(data):
            # A failed SELECT leaves the current application selected (ISO 7816-4).
            return SW.NOT_FOUND, b""
        self.selected = True
        return SW.OK, piv.application_property_template()

    def _objects(self) -> dict[int, bytes]:
        c = self.card
        return {
            DataObject.DISCOVERY: piv.discovery_object(),
            DataObject.CHUID: piv.chuid(c.guid, c.expiry),
            DataObject.CERT_PIV_AUTHENTICATION: piv.certificate_object(
                c.credentials.certs[Slot.PIV_AUTHENTICATION]
            ),
            DataObject.CERT_CARD_AUTHENTICATION: piv.certificate_object(
                c.credentials.certs[Slot.CARD_AUTHENTICATION]
            ),
        }

    def _get_data(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if (p1, p2) != (0x3F, 0xFF):
            return SW.INCORRECT_P1P2, b""
        try:
            tag = int.from_bytes(tlv.unwrap(data, 0x5C), "big")
        except Exception:  # noqa: BLE001 - any malformed TLV is bad data
            return SW.WRONG_DATA, b""
        if tag == DataObject.PRINTED_INFORMATION:
            if not self.pin_verified:
                return SW.SECURITY_NOT_SATISFIED, b""
            c = self.card
            return SW.OK, piv.printed_information(c.name, c.expiry, c.guid.hex()[:20])
        value = self._objects().get(tag)
        if value is None:
            return SW.NOT_FOUND, b""
        return SW.OK, value

    def _verify(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if p2 != piv.PIN_REF:
            return SW.REF_NOT_FOUND, b""
        if p1 == 0xFF:
            if data:
                return SW.WRONG_DATA, b""
            self.pin_verified = False
            return SW.OK, b""
        if p1 != 0x00:
            return SW.INCORRECT_P1P2, b""
        if not data:
            if self.card.pin_blocked:
                return SW.BLOCKED, b""
            return (SW.OK if self.pin_verified else _tries_word(self.card.pin_tries_left)), b""
        if len(data) != piv.REFERENCE_LENGTH:
            return SW.WRONG_LENGTH, b""
        sw = self._check_pin(data)
        self.pin_verified = sw == SW.OK
        return sw, b""

    def _check_pin(self, block: bytes) -> int:
        """Compare a PIN block, counting a failure; the status to answer."""
        before = self.card.pin_tries_left
        sw, self.card.pin_tries_left = _compared(self.card.pin, block, before, MAX_PIN_TRIES)
        if self.card.pin_tries_left < before:
            self.pin_verified = False
        if self.card.pin_tries_left != before:
            self._changed()
        return sw

    def _check_puk(self, block: bytes) -> int:
        """Compare a PUK block, counting a failure; the status to answer."""
        before = self.card.puk_tries_left
        sw, self.card.puk_tries_left = _compared(self.card.puk, block, before, MAX_PUK_TRIES)
        if self.card.puk_tries_left != before:
            self._changed()
        return sw

    @staticmethod
    def _new_value(block: bytes) -> str | None:
        try:
            return piv.decode_reference(block)
        except ValueError:
            return None

    def _change(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if p1 != 0x00:
            return SW.INCORRECT_P1P2, b""
        if p2 not in (piv.PIN_REF, piv.PUK_REF):
            return SW.REF_NOT_FOUND, b""
        if len(data) != 2 * piv.REFERENCE_LENGTH:
            return SW.WRONG_LENGTH, b""
        old, new_block = data[: piv.REFERENCE_LENGTH], data[piv.REFERENCE_LENGTH :]
        new = self._new_value(new_block)
        if new is None:
            return SW.WRONG_DATA, b""  # refused before any try is spent
        if p2 == piv.PIN_REF:
            sw = self._check_pin(old)
            if sw != SW.OK:
                return sw, b""
            self.card.pin = ReferenceData.of(new)
            self.pin_verified = True
        else:
            sw = self._check_puk(old)
            if sw != SW.OK:
                return sw, b""
            self.card.puk = ReferenceData.of(new)
        self._changed()
        return SW.OK, b""

    def _reset_retry_counter(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if p1 != 0x00:
            return SW.INCORRECT_P1P2, b""
        if p2 != piv.PIN_REF:
            return SW.REF_NOT_FOUND, b""
        if len(data) != 2 * piv.REFERENCE_LENGTH:
            return SW.WRONG_LENGTH, b""
        new = self._new_value(data[piv.REFERENCE_LENGTH :])
        if new is None:
            return SW.WRONG_DATA, b""
        sw = self._check_puk(data[: piv.REFERENCE_LENGTH])
        if sw != SW.OK:
            return sw, b""
        self.card.pin = ReferenceData.of(new)
        self.card.pin_tries_left = MAX_PIN_TRIES
        self.pin_verified = False
        self._changed()
        return SW.OK, b""

    def _general_authenticate(self, p1: int, p2: int, data: bytes) -> tuple[int, bytes]:
        if p2 not in (Slot.PIV_AUTHENTICATION, Slot.CARD_AUTHENTICATION):
            return SW.REF_NOT_FOUND, b""
        if p1 != piv.ALG_ECC_P256:
            return SW.INCORRECT_P1P2, b""
        try:
            fields = piv.parse_dynamic_template(data)
        except Exception:  # noqa: BLE001 - any malformed TLV is bad data
            return SW.WRONG_DATA, b""
        challenge = fields.get(0x81)
        if fields.get(0x82) != b"" or challenge is None or len(challenge) != piv.DIGEST_LENGTH:
            return SW.WRONG_DATA, b""
        if p2 == Slot.PIV_AUTHENTICATION and not self.pin_verified:
            return SW.SECURITY_NOT_SATISFIED, b""
        key = self.card.credentials.keys[Slot(p2)]
        signature = key.sign(challenge, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return SW.OK, tlv.tlv(0x7C, tlv.tlv(0x82, signature))


def _body(body: bytes) -> tuple[bytes, int | None] | None:
    """(data, Le) of a short APDU body; None when the lengths do not add up."""
    if not body:
        return b"", None
    if len(body) == 1:
        return b"", body[0]
    lc = body[0]
    if lc == 0:
        return None  # extended lengths are not supported
    if len(body) == 1 + lc:
        return bytes(body[1:]), None
    if len(body) == 2 + lc:
        return bytes(body[1 : 1 + lc]), body[-1]
    return None
