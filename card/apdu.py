"""APDU codec for the unlock applet (docs/design.md section 3, the applet table).

Commands are built as bytes; answers are parsed into typed results, and every
status word that is not success becomes a domain error with a plain message.
No I/O here: the reader session and the virtual card both build on this module.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

AID = bytes.fromhex("F053535501")
PIN_REF = 0x81
PIN_LENGTH = 8
PIN_PAD = 0xFF
CHALLENGE_LENGTH = 16
CRYPTOGRAM_LENGTH = 16
NONCE_LENGTH = 16
MAC_LENGTH = 16
SERIAL_LENGTH = 8
MIN_PIN_DIGITS = 4


class Ins(enum.IntEnum):
    """Instruction bytes of the applet."""

    SELECT = 0xA4
    GET_DATA = 0xCA
    VERIFY = 0x20
    CHANGE_REFERENCE_DATA = 0x24
    GET_CHALLENGE = 0x84
    RESET_RETRY_COUNTER = 0x2C
    INTERNAL_AUTHENTICATE = 0x88


class DataObject(enum.IntEnum):
    """P2 of GET DATA (P1 is 01)."""

    SERIAL = 0x01
    UUID = 0x02
    EXPIRY = 0x03
    NAME = 0x04


class AuthKey(enum.IntEnum):
    """P2 of INTERNAL AUTHENTICATE."""

    CARD = 0x01
    HOLDER = 0x02


class SW(enum.IntEnum):
    """Status words the applet answers."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    DATA_NOT_FOUND = 0x6A88
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


# ---------------------------------------------------------------- errors


class CardError(Exception):
    """Base of every card-layer failure; `str()` is a plain-language message."""


class CardProtocolError(CardError):
    """The card answered something the applet table does not allow."""


class CardStatusError(CardError):
    """The card refused a command with a status word."""

    def __init__(self, sw: int, message: str) -> None:
        super().__init__(f"{message} (status {sw:04X})")
        self.sw = sw


class WrongLength(CardStatusError):
    """6700."""


class SecurityNotSatisfied(CardStatusError):
    """6982: bad cryptogram, or the holder key asked for before VERIFY."""


class PinBlocked(CardStatusError):
    """6983: the passcode is blocked."""


class ConditionsNotSatisfied(CardStatusError):
    """6985: no fresh challenge for RESET RETRY COUNTER."""


class WrongData(CardStatusError):
    """6A80."""


class AppletNotFound(CardStatusError):
    """6A82: this is not one of our cards."""


class DataNotFound(CardStatusError):
    """6A88."""


class InstructionNotSupported(CardStatusError):
    """6D00."""


class ClassNotSupported(CardStatusError):
    """6E00."""


class WrongPin(CardStatusError):
    """63Cx: the passcode was wrong; `tries_left` more before the card blocks."""

    def __init__(self, sw: int) -> None:
        self.tries_left = sw & 0x0F
        plural = "try" if self.tries_left == 1 else "tries"
        super().__init__(sw, f"Wrong passcode: {self.tries_left} {plural} left")


_ERRORS: dict[int, tuple[type[CardStatusError], str]] = {
    SW.WRONG_LENGTH: (WrongLength, "The card refused the command's length"),
    SW.SECURITY_NOT_SATISFIED: (
        SecurityNotSatisfied,
        "The card refused: security condition not satisfied",
    ),
    SW.BLOCKED: (PinBlocked, "The card's passcode is blocked"),
    SW.CONDITIONS_NOT_SATISFIED: (
        ConditionsNotSatisfied,
        "The card refused: it needs a fresh challenge first",
    ),
    SW.WRONG_DATA: (WrongData, "The card refused the data sent"),
    SW.FILE_NOT_FOUND: (AppletNotFound, "This card does not hold the unlock application"),
    SW.DATA_NOT_FOUND: (DataNotFound, "The card does not hold that data"),
    SW.INS_NOT_SUPPORTED: (InstructionNotSupported, "The card does not support that command"),
    SW.CLA_NOT_SUPPORTED: (ClassNotSupported, "The card does not support that command class"),
}


def error_for(sw: int) -> CardStatusError:
    """The domain error for a non-success status word."""
    if sw & 0xFFF0 == 0x63C0:
        return WrongPin(sw)
    cls, message = _ERRORS.get(sw, (CardStatusError, "The card answered an unexpected status"))
    return cls(sw, message)


# ---------------------------------------------------------------- results


class PinState(enum.Enum):
    """What the card says about its passcode."""

    VERIFIED = "verified"
    WORKING = "working"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class PinStatus:
    """Passcode state and tries left (0 when blocked, None when verified)."""

    state: PinState
    tries_left: int | None

    @property
    def blocked(self) -> bool:
        """True when no passcode can be tried any more."""
        return self.state is PinState.BLOCKED


@dataclass(frozen=True)
class CardInfo:
    """Who the card belongs to."""

    serial: bytes
    uuid: str
    expiry: dt.date
    name: str

    @property
    def serial_hex(self) -> str:
        """The serial as 16 lower-case hex digits, as on the wire."""
        return self.serial.hex()


@dataclass(frozen=True)
class Response:
    """A response APDU split into data and status word."""

    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        """Split a raw response; fewer than 2 bytes is a protocol error."""
        if len(raw) < 2:
            raise CardProtocolError(f"The card's answer is too short ({len(raw)} bytes)")
        return cls(data=bytes(raw[:-2]), sw=(raw[-2] << 8) | raw[-1])

    def to_bytes(self) -> bytes:
        """The raw response."""
        return self.data + self.sw.to_bytes(2, "big")

    def check(self) -> bytes:
        """The data if the status is 9000, else raise the matching error."""
        if self.sw != SW.OK:
            raise error_for(self.sw)
        return self.data


# ---------------------------------------------------------------- commands


def _apdu(ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    out = bytes([0x00, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le])
    return out


def encode_digits(value: str, min_digits: int, what: str = "a passcode") -> bytes:
    """ASCII digits padded with FF to 8 bytes: the PIN block both profiles use.

    Args:
        value: The digits.
        min_digits: Fewest digits the card takes.
        what: How an error names the value ("a passcode", "a PIN or PUK").
    """
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{what} is digits only")
    if not min_digits <= len(value) <= PIN_LENGTH:
        raise ValueError(f"{what} is {min_digits} to {PIN_LENGTH} digits")
    return value.encode("ascii").ljust(PIN_LENGTH, bytes([PIN_PAD]))


def decode_digits(block: bytes, min_digits: int, what: str = "a PIN block") -> str:
    """Inverse of encode_digits; raises ValueError on a malformed block."""
    if len(block) != PIN_LENGTH:
        raise ValueError(f"{what} is 8 bytes")
    digits = block.rstrip(bytes([PIN_PAD]))
    if bytes([PIN_PAD]) in digits or not digits.isdigit() or len(digits) < min_digits:
        raise ValueError(f"{what} is {min_digits}-8 ASCII digits padded with FF")
    return digits.decode("ascii")


def encode_pin(passcode: str) -> bytes:
    """The passcode's ASCII digits padded with FF to 8 bytes."""
    return encode_digits(passcode, MIN_PIN_DIGITS)


def decode_pin(block: bytes) -> str:
    """Inverse of encode_pin; raises ValueError on a malformed block."""
    return decode_digits(block, MIN_PIN_DIGITS)


def select() -> bytes:
    """SELECT the unlock applet by AID."""
    return _apdu(Ins.SELECT, 0x04, 0x00, AID)


def get_data(obj: DataObject) -> bytes:
    """GET DATA for one data object."""
    return _apdu(Ins.GET_DATA, 0x01, obj, le=0)


def verify_query() -> bytes:
    """VERIFY with no data: asks the PIN state without spending a try."""
    return _apdu(Ins.VERIFY, 0x00, PIN_REF)


def verify(passcode: str) -> bytes:
    """VERIFY a passcode."""
    return _apdu(Ins.VERIFY, 0x00, PIN_REF, encode_pin(passcode))


def change_reference_data(old: str, new: str) -> bytes:
    """CHANGE REFERENCE DATA: old passcode then new."""
    return _apdu(Ins.CHANGE_REFERENCE_DATA, 0x00, PIN_REF, encode_pin(old) + encode_pin(new))


def get_challenge() -> bytes:
    """GET CHALLENGE for 16 bytes."""
    return _apdu(Ins.GET_CHALLENGE, 0x00, 0x00, le=CHALLENGE_LENGTH)


def reset_retry_counter(cryptogram: bytes, new: str) -> bytes:
    """RESET RETRY COUNTER with the service's cryptogram and the new passcode."""
    if len(cryptogram) != CRYPTOGRAM_LENGTH:
        raise ValueError("a cryptogram is 16 bytes")
    return _apdu(Ins.RESET_RETRY_COUNTER, 0x00, PIN_REF, cryptogram + encode_pin(new))


def internal_authenticate(key: AuthKey, nonce: bytes) -> bytes:
    """INTERNAL AUTHENTICATE a 16-byte nonce with the card or holder key."""
    if len(nonce) != NONCE_LENGTH:
        raise ValueError("a nonce is 16 bytes")
    return _apdu(Ins.INTERNAL_AUTHENTICATE, 0x00, key, nonce)


# ---------------------------------------------------------------- answers


def parse_pin_status(resp: Response) -> PinStatus:
    """The answer to a VERIFY query."""
    if resp.data:
        raise CardProtocolError("The card answered a passcode query with data")
    if resp.sw == SW.OK:
        return PinStatus(PinState.VERIFIED, None)
    if resp.sw == SW.BLOCKED:
        return PinStatus(PinState.BLOCKED, 0)
    if resp.sw & 0xFFF0 == 0x63C0:
        left = resp.sw & 0x0F
        return PinStatus(PinState.WORKING if left else PinState.BLOCKED, left)
    raise error_for(resp.sw)


def parse_serial(data: bytes) -> bytes:
    """GET DATA 01: 8 raw bytes."""
    if len(data) != SERIAL_LENGTH:
        raise CardProtocolError(f"The card's serial is {len(data)} bytes, not 8")
    return data


def parse_uuid(data: bytes) -> str:
    """GET DATA 02: 12 ASCII digits."""
    if len(data) != 12 or not data.isdigit():
        raise CardProtocolError("The card's holder number is not 12 digits")
    return data.decode("ascii")


def parse_expiry(data: bytes) -> dt.date:
    """GET DATA 03: ASCII YYYYMMDD."""
    try:
        if len(data) != 8 or not data.isdigit():
            raise ValueError
        return dt.datetime.strptime(data.decode("ascii"), "%Y%m%d").date()
    except ValueError:
        raise CardProtocolError("The card's expiry date is not a valid YYYYMMDD") from None


def parse_name(data: bytes) -> str:
    """GET DATA 04: UTF-8 name."""
    try:
        name = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CardProtocolError("The card's holder name is not valid text") from None
    if not name.strip() or not name.isprintable():
        raise CardProtocolError("The card's holder name is empty or unprintable")
    return name


def parse_fixed(data: bytes, length: int, what: str) -> bytes:
    """Data that must be exactly `length` bytes (challenge, MAC)."""
    if len(data) != length:
        raise CardProtocolError(f"The card's {what} is {len(data)} bytes, not {length}")
    return data
