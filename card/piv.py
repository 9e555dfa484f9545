"""PIV codec (NIST SP 800-73-4): commands, data objects, answers, and proof checks.

No I/O here: the virtual PIV card (`card.piv_applet`) and the PIV profile
(`card.profiles.piv`) both build on it, and the unlock service can import the
proof checks (`verify_signature_proof`) without pyscard.

What this project uses of PIV (docs/design.md section 3, "A second profile: PIV"):

| need | APDU |
|---|---|
| SELECT | `00 A4 04 00 0B <AID> 00` -> application property template (61) |
| GET DATA | `00 CB 3F FF 05 5C 03 <tag> 00` -> `53 {...}`; 6A82 when the object is absent |
| VERIFY PIN | `00 20 00 80 08 PIN` (no data: query; P1 FF: forget the verification) |
| CHANGE REFERENCE DATA | `00 24 00 80 10 oldPIN newPIN`, `00 24 00 81 10 oldPUK newPUK` |
| RESET RETRY COUNTER | `00 2C 00 80 10 PUK newPIN` |
| GENERAL AUTHENTICATE | `00 87 11 9E/9A L 7C {82 00, 81 L challenge} 00` -> `7C {82 L sig}` |

PINs and PUKs are 6 to 8 ASCII digits padded with FF to 8 bytes. Algorithm 11 is
ECC P-256; the challenge a P-256 key signs is a 32-byte digest, so a proof over a
nonce signs SHA-256(nonce), which any verifier checks as plain ECDSA-SHA256 over
the nonce.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import uuid as uuidlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from card import tlv
from card.apdu import CardError, CardProtocolError, decode_digits, encode_digits

AID = bytes.fromhex("A000000308000010000100")
#: The AID without its version, which SP 800-73-4 also lets a client SELECT by.
AID_SHORT = AID[:9]
#: The PIX as the application property template carries it.
PIX = AID[5:]

PIN_REF = 0x80
PUK_REF = 0x81
REFERENCE_LENGTH = 8
PAD = 0xFF
MIN_DIGITS = 6
ALG_ECC_P256 = 0x11
DIGEST_LENGTH = 32
#: The FASC-N SP 800-73-4 allows for issuers that are not US federal agencies:
#: agency code 9999, every other field 9s/0s (the value YubiKey tooling writes).
NON_FEDERAL_FASCN = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")


class Ins(enum.IntEnum):
    """Instruction bytes of the PIV application."""

    SELECT = 0xA4
    GET_DATA = 0xCB
    VERIFY = 0x20
    CHANGE_REFERENCE_DATA = 0x24
    RESET_RETRY_COUNTER = 0x2C
    GENERAL_AUTHENTICATE = 0x87
    GET_RESPONSE = 0xC0


class Slot(enum.IntEnum):
    """Key references of the two keys this project uses."""

    PIV_AUTHENTICATION = 0x9A
    CARD_AUTHENTICATION = 0x9E


class DataObject(enum.IntEnum):
    """Data object tags (the value of tag 5C in GET DATA)."""

    CARD_CAPABILITY_CONTAINER = 0x5FC107
    CHUID = 0x5FC102
    CERT_PIV_AUTHENTICATION = 0x5FC105
    CERT_CARD_AUTHENTICATION = 0x5FC101
    PRINTED_INFORMATION = 0x5FC109
    SECURITY_OBJECT = 0x5FC106
    KEY_HISTORY = 0x5FC10C
    DISCOVERY = 0x7E


#: The certificate object of each slot.
CERT_OBJECT = {
    Slot.PIV_AUTHENTICATION: DataObject.CERT_PIV_AUTHENTICATION,
    Slot.CARD_AUTHENTICATION: DataObject.CERT_CARD_AUTHENTICATION,
}


class SW(enum.IntEnum):
    """Status words of the PIV application (SP 800-73-4 part 2, table 6)."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    BLOCKED = 0x6983
    WRONG_DATA = 0x6A80
    FUNC_NOT_SUPPORTED = 0x6A81
    NOT_FOUND = 0x6A82
    INCORRECT_P1P2 = 0x6A86
    REF_NOT_FOUND = 0x6A88
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    LAST_COMMAND_EXPECTED = 0x6883


# ---------------------------------------------------------------- errors


class PukBlocked(CardError):
    """The PUK is blocked: this card can never be unblocked again (only replaced)."""


class WrongPuk(CardError):
    """The card refused the PUK; `tries_left` more before it blocks for good."""

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(f"The card refused the unblocking key: {tries_left} {plural} left")


class ProofRejected(CardError):
    """A card's signature or certificate did not check out."""


# ---------------------------------------------------------------- secrets


class Puk:
    """A PUK held in memory only; its repr and str never show the value.

    Read the digits with `reveal()` at the one place that builds the APDU.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        encode_reference(value)  # validates
        self._value = value

    def reveal(self) -> str:
        """The digits, for the APDU (and for nothing that is written down)."""
        return self._value

    def __repr__(self) -> str:
        return "Puk(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Puk) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Puk", self._value))


# ---------------------------------------------------------------- encodings


def encode_reference(value: str) -> bytes:
    """A PIN or PUK: 6 to 8 ASCII digits padded with FF to 8 bytes."""
    return encode_digits(value, MIN_DIGITS, "a PIN or PUK")


def decode_reference(block: bytes) -> str:
    """Inverse of encode_reference; raises ValueError on a malformed block."""
    return decode_digits(block, MIN_DIGITS, "a PIN or PUK block")


def application_property_template() -> bytes:
    """The answer to SELECT (SP 800-73-4 part 2, table 3)."""
    body = (
        tlv.tlv(0x4F, PIX)
        + tlv.tlv(0x79, tlv.tlv(0x4F, AID[:5]))
        + tlv.tlv(0x50, b"SSU virtual PIV")
        + tlv.tlv(0xAC, tlv.tlv(0x80, bytes([ALG_ECC_P256])) + tlv.tlv(0x06, b"\x00"))
    )
    return tlv.tlv(0x61, body)


def discovery_object() -> bytes:
    """7E: the PIV AID and the PIN usage policy (PIV PIN only, no global PIN)."""
    return tlv.tlv(0x7E, tlv.tlv(0x4F, AID) + tlv.tlv(0x5F2F, bytes([0x40, 0x00])))


def chuid(guid: bytes, expiry: dt.date) -> bytes:
    """The CHUID container (tag 53) with FASC-N, GUID, expiration, empty signature."""
    if len(guid) != 16:
        raise ValueError("a GUID is 16 bytes")
    body = (
        tlv.tlv(0x30, NON_FEDERAL_FASCN)
        + tlv.tlv(0x34, guid)
        + tlv.tlv(0x35, expiry.strftime("%Y%m%d").encode("ascii"))
        + tlv.tlv(0x3E, b"")
        + tlv.tlv(0xFE, b"")
    )
    return tlv.tlv(0x53, body)


def certificate_object(cert_der: bytes) -> bytes:
    """A certificate container: 70 cert, 71 CertInfo (00: not compressed), FE LRC."""
    body = tlv.tlv(0x70, cert_der) + tlv.tlv(0x71, b"\x00") + tlv.tlv(0xFE, b"")
    return tlv.tlv(0x53, body)


def printed_information(name: str, expiry: dt.date, serial: str) -> bytes:
    """5FC109: name (01), card serial (05), expiration (04, YYYYMMMDD), issuer (06)."""
    body = (
        tlv.tlv(0x01, name.encode("utf-8")[:125])
        + tlv.tlv(0x04, expiry.strftime("%Y%b%d").upper().encode("ascii"))
        + tlv.tlv(0x05, serial.encode("ascii")[:20])
        + tlv.tlv(0x06, b"SSU demo issuer")
        + tlv.tlv(0xFE, b"")
    )
    return tlv.tlv(0x53, body)


# ---------------------------------------------------------------- commands


def _apdu(ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    if len(data) > 0xFF:
        raise ValueError("short APDUs only: chain longer data")
    out = bytes([0x00, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le])
    return out


def select() -> bytes:
    """SELECT the PIV application by its full AID (Le 00: the template comes back)."""
    return _apdu(Ins.SELECT, 0x04, 0x00, AID, le=0)


def get_data(obj: int) -> bytes:
    """GET DATA for one object (5C carries its tag)."""
    size = max(1, (obj.bit_length() + 7) // 8)
    return _apdu(Ins.GET_DATA, 0x3F, 0xFF, tlv.tlv(0x5C, obj.to_bytes(size, "big")), le=0)


def verify_query() -> bytes:
    """VERIFY the PIN with no data: the PIN state, without spending a try."""
    return _apdu(Ins.VERIFY, 0x00, PIN_REF)


def verify(pin: str) -> bytes:
    """VERIFY the PIN."""
    return _apdu(Ins.VERIFY, 0x00, PIN_REF, encode_reference(pin))


def forget_verification() -> bytes:
    """VERIFY with P1 FF: the card forgets that the PIN was verified."""
    return _apdu(Ins.VERIFY, 0xFF, PIN_REF)


def change_pin(old: str, new: str) -> bytes:
    """CHANGE REFERENCE DATA of the PIN."""
    return _apdu(
        Ins.CHANGE_REFERENCE_DATA, 0x00, PIN_REF, encode_reference(old) + encode_reference(new)
    )


def change_puk(old: Puk, new: Puk) -> bytes:
    """CHANGE REFERENCE DATA of the PUK."""
    data = encode_reference(old.reveal()) + encode_reference(new.reveal())
    return _apdu(Ins.CHANGE_REFERENCE_DATA, 0x00, PUK_REF, data)


def reset_retry_counter(puk: Puk, new_pin: str) -> bytes:
    """RESET RETRY COUNTER of the PIN with the PUK, setting a new PIN."""
    data = encode_reference(puk.reveal()) + encode_reference(new_pin)
    return _apdu(Ins.RESET_RETRY_COUNTER, 0x00, PIN_REF, data)


def general_authenticate(slot: Slot, challenge: bytes) -> bytes:
    """GENERAL AUTHENTICATE: sign a 32-byte challenge with an ECC P-256 slot."""
    if len(challenge) != DIGEST_LENGTH:
        raise ValueError("a P-256 challenge is 32 bytes")
    template = tlv.tlv(0x7C, tlv.tlv(0x82, b"") + tlv.tlv(0x81, challenge))
    return _apdu(Ins.GENERAL_AUTHENTICATE, ALG_ECC_P256, slot, template, le=0)


def nonce_challenge(nonce: bytes) -> bytes:
    """The 32 bytes a card signs for a proof over `nonce`: SHA-256(nonce)."""
    if not 8 <= len(nonce) <= 255:
        raise ValueError("a nonce is 8 to 255 bytes")
    return hashlib.sha256(nonce).digest()


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class Chuid:
    """What the CHUID says: the card's GUID and its expiration date."""

    guid: bytes
    expiry: dt.date
    fascn: bytes

    @property
    def guid_hex(self) -> str:
        """The GUID as 32 lower-case hex digits."""
        return self.guid.hex()


def parse_container(data: bytes) -> dict[int, bytes]:
    """The TLVs inside a data object answer (53 {...}, or 7E {...} for discovery)."""
    items = tlv.parse(data)
    if len(items) != 1 or items[0][0] not in (0x53, 0x7E):
        raise CardProtocolError("The card's data object is not a 53 or 7E container")
    return tlv.as_dict(items[0][1])


def parse_chuid(data: bytes) -> Chuid:
    """GET DATA 5FC102."""
    fields = parse_container(data)
    guid = fields.get(0x34, b"")
    if len(guid) != 16 or guid == bytes(16):
        raise CardProtocolError("The card's CHUID has no GUID")
    raw = fields.get(0x35, b"")
    try:
        if len(raw) != 8 or not raw.isdigit():
            raise ValueError
        expiry = dt.datetime.strptime(raw.decode("ascii"), "%Y%m%d").date()
    except ValueError:
        raise CardProtocolError("The card's CHUID expiration is not YYYYMMDD") from None
    return Chuid(guid=guid, expiry=expiry, fascn=fields.get(0x30, b""))


def parse_certificate_object(data: bytes) -> x509.Certificate:
    """GET DATA of a certificate object: the X.509 certificate in tag 70."""
    fields = parse_container(data)
    if fields.get(0x71, b"\x00") not in (b"\x00", b""):
        raise CardProtocolError("The card's certificate is compressed; not supported")
    der = fields.get(0x70)
    if not der:
        raise CardProtocolError("The card's certificate object holds no certificate")
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise CardProtocolError("The card's certificate is not valid DER") from None


def parse_printed_name(data: bytes) -> str:
    """The holder name (tag 01) of the printed information object."""
    raw = parse_container(data).get(0x01, b"")
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CardProtocolError("The card's printed name is not valid text") from None
    if not name.strip() or not name.isprintable():
        raise CardProtocolError("The card's printed name is empty or unprintable")
    return name


def parse_signature(data: bytes) -> bytes:
    """The DER signature (82) inside a GENERAL AUTHENTICATE answer (7C)."""
    inner = tlv.as_dict(tlv.unwrap(data, 0x7C))
    signature = inner.get(0x82)
    if not signature:
        raise CardProtocolError("The card's GENERAL AUTHENTICATE answer has no signature")
    return signature


def parse_dynamic_template(data: bytes) -> dict[int, bytes]:
    """The inside of a dynamic authentication template 7C (for the card side)."""
    return tlv.as_dict(tlv.unwrap(data, 0x7C))


# ---------------------------------------------------------------- proof checks


def certificate_guid(cert: x509.Certificate) -> bytes | None:
    """The card GUID a certificate names (subjectAltName URI urn:uuid:...), if any."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for uri in san.get_values_for_type(x509.UniformResourceIdentifier):
        if uri.lower().startswith("urn:uuid:"):
            try:
                return uuidlib.UUID(uri[9:]).bytes
            except ValueError:
                return None
    return None


def check_certificate(
    cert: x509.Certificate,
    ca: x509.Certificate,
    *,
    guid: bytes | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Raise ProofRejected unless `cert` is a P-256 certificate `ca` issued, valid at `at`.

    With `guid`, the certificate must also name that card GUID (urn:uuid SAN).
    """
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise ProofRejected("The card's certificate was not issued by the card CA") from None
    now = at or dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise ProofRejected("The card's certificate is not valid now")
    if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
        raise ProofRejected("The card CA's certificate is not valid now")
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ProofRejected("The card's certificate is not for an EC P-256 key")
    if guid is not None and certificate_guid(cert) != guid:
        raise ProofRejected("The card's certificate names another card")


def verify_signature_proof(
    nonce: bytes,
    signature: bytes,
    cert: x509.Certificate | bytes,
    ca: x509.Certificate | bytes,
    *,
    guid: bytes | None = None,
    at: dt.datetime | None = None,
) -> x509.Certificate:
    """Check a PIV card's proof over `nonce`; return the certificate it was checked with.

    The card signed SHA-256(nonce) with the key of `cert` (GENERAL AUTHENTICATE
    with a 9E or 9A key), so this is ECDSA-SHA256 over the nonce. `cert` must
    chain to `ca` (directly: the card CA issues card certificates), be valid at
    `at` (default now) and, with `guid`, name that card.

    Raises:
        ProofRejected: Any check failed (the message says which).
    """
    if isinstance(cert, bytes):
        cert = x509.load_der_x509_certificate(cert)
    if isinstance(ca, bytes):
        ca = x509.load_der_x509_certificate(ca)
    check_certificate(cert, ca, guid=guid, at=at)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)  # check_certificate made sure
    try:
        key.verify(signature, nonce, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ProofRejected("The card's signature over the nonce is wrong") from None
    return cert
