"""The card CA and the keys and certificates a PIV card gets at personalisation.

A trust issues its PIV cards' certificates from its own card CA; the unlock
service trusts that CA's certificate (docs/design.md section 3). For the demo and the
tests this module holds a demo card CA whose private key is PUBLIC demo material
in `config/piv-demo-ca.toml` (like `config/dev-keys.toml`: anyone can read it, so
it proves nothing outside the demo), and derives each virtual card's 9A and 9E
keys from a public seed and the card's GUID, so the same card comes back with
the same keys and certificates every time it is inserted. Certificates are
signed with deterministic ECDSA (RFC 6979) and dated from the card's expiry only,
so they are byte-for-byte stable too.

No I/O but reading the config file; no pyscard: the service may import it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import tomllib
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from card.piv import Slot

DEMO_CA_PATH = Path(__file__).resolve().parent.parent / "config" / "piv-demo-ca.toml"
#: Order of the P-256 group: derived private values are reduced into [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_EARLIEST = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, repr=False)
class CardAuthority:
    """A card CA: its key and certificate, and (demo only) the seed of card keys."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    card_key_seed: bytes
    public_demo: bool

    def __repr__(self) -> str:  # never print key material
        return f"CardAuthority({self.cert.subject.rfc4514_string()}, <redacted>)"

    @property
    def cert_der(self) -> bytes:
        """The CA certificate, DER."""
        return self.cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True, repr=False)
class PivCredentials:
    """The private keys of a card's slots and their certificates (DER)."""

    keys: dict[Slot, ec.EllipticCurvePrivateKey] = field(repr=False)
    certs: dict[Slot, bytes]

    def __repr__(self) -> str:
        return f"PivCredentials(slots={sorted(f'{s:02X}' for s in self.certs)})"


def load_demo_ca(path: Path = DEMO_CA_PATH) -> CardAuthority:
    """The PUBLIC demo card CA shipped in config/ (never for real cards)."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    key = serialization.load_pem_private_key(data["ca_key_pem"].encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: the card CA key is not an EC key")
    cert = x509.load_pem_x509_certificate(data["ca_cert_pem"].encode("ascii"))
    return CardAuthority(
        key=key,
        cert=cert,
        card_key_seed=bytes.fromhex(data["card_key_seed"]),
        public_demo=bool(data.get("public_demo_material", False)),
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """What a key may do: a CA's signs certificates and CRLs, a card's signs only."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    common_name: str, not_before: dt.datetime, not_after: dt.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new self-signed P-256 card CA (how config/piv-demo-ca.toml was made)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def derive_card_key(seed: bytes, guid: bytes, slot: Slot) -> ec.EllipticCurvePrivateKey:
    """A deterministic P-256 key for one slot of one card (demo cards only)."""
    counter = 0
    while True:
        digest = hmac.new(seed, guid + bytes([slot, counter]), hashlib.sha512).digest()
        value = int.from_bytes(digest, "big") % _P256_ORDER
        if value:
            return ec.derive_private_key(value, ec.SECP256R1())
        counter += 1  # pragma: no cover - 2**-256


def issue_card_certificate(
    ca: CardAuthority,
    public_key: ec.EllipticCurvePublicKey,
    *,
    slot: Slot,
    guid: bytes,
    uuid: str,
    name: str,
    expiry: dt.date,
) -> x509.Certificate:
    """The certificate of one slot: 9A names the holder, 9E the card; both name the GUID."""
    if slot is Slot.PIV_AUTHENTICATION:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SSU demo trust"),
                x509.NameAttribute(NameOID.USER_ID, uuid),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
    else:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SSU demo trust"),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, guid.hex()),
                x509.NameAttribute(NameOID.COMMON_NAME, "Card Authentication"),
            ]
        )
    not_after = dt.datetime.combine(expiry, dt.time(23, 59, 59), tzinfo=dt.UTC)
    not_before = min(_EARLIEST, not_after - dt.timedelta(days=1))
    serial = int.from_bytes(hashlib.sha256(guid + bytes([slot])).digest()[:16], "big") >> 1
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(public_key)
        .serial_number(serial or 1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:uuid:{uuidlib.UUID(bytes=guid)}")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if slot is Slot.PIV_AUTHENTICATION:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(ca.key, hashes.SHA256(), ecdsa_deterministic=True)


def demo_credentials(
    *, guid: bytes, uuid: str, name: str, expiry: dt.date, ca: CardAuthority | None = None
) -> PivCredentials:
    """The 9A and 9E keys and certificates of a demo card (same inputs, same output)."""
    ca = ca or load_demo_ca()
    keys: dict[Slot, ec.EllipticCurvePrivateKey] = {}
    certs: dict[Slot, bytes] = {}
    for slot in (Slot.PIV_AUTHENTICATION, Slot.CARD_AUTHENTICATION):
        key = derive_card_key(ca.card_key_seed, guid, slot)
        cert = issue_card_certificate(
            ca, key.public_key(), slot=slot, guid=guid, uuid=uuid, name=name, expiry=expiry
        )
        keys[slot] = key
        certs[slot] = cert.public_bytes(serialization.Encoding.DER)
    return PivCredentials(keys=keys, certs=certs)
