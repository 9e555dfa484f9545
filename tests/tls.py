"""A throw-away certificate authority and a loopback server certificate (trustme)."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for one test: the CA kiosks trust, the server's chain and key."""

    ca: Path
    cert: Path
    key: Path
    cert_sha256: str
    """SHA-256 of the server certificate (DER), hex: what a kiosk pins."""


def make_tls_files(directory: Path) -> TlsFiles:
    """A fresh CA and a certificate for 127.0.0.1 and localhost, written under directory."""
    authority = trustme.CA()
    leaf = authority.issue_cert("127.0.0.1", "localhost")
    ca = directory / "ca.pem"
    cert = directory / "server-chain.pem"
    key = directory / "server-key.pem"
    authority.cert_pem.write_to_path(str(ca))
    leaf.private_key_pem.write_to_path(str(key))
    with cert.open("wb") as out:
        for blob in leaf.cert_chain_pems:
            out.write(blob.bytes())
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    key.chmod(0o600)
    return TlsFiles(ca=ca, cert=cert, key=key, cert_sha256=hashlib.sha256(der).hexdigest())
