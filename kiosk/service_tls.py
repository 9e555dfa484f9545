"""How the kiosk trusts the unlock service and keeps its own token.

Kiosk tokens, card proofs and answers cross the connection to the service, so off
the machine it is HTTPS, checked against the CAs the deployment names; a plain
`http://` URL is taken only for a service on this machine (loopback), where TLS
would protect nothing. The kiosk's token can live in a file only root reads.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit

from contract.loopback import is_loopback
from contract.secret_files import read_owner_only


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host never leaves this machine (127.0.0.0/8, ::1, localhost)."""
    return is_loopback(urlsplit(url).hostname or "")


def url_problem(url: str) -> str | None:
    """Why the kiosk must not use this service URL, or None."""
    scheme = urlsplit(url).scheme
    if scheme == "https":
        return None
    if scheme == "http":
        if is_loopback_url(url):
            return None
        return "service_url must be https:// (plain http:// only for a service on this machine)"
    return "service_url must start with https:// (or http:// on loopback)"


def trust_context(ca_file: Path | None) -> ssl.SSLContext | bool:
    """The TLS context for the service: the system's CAs, or only those in `ca_file`.

    A certificate in `ca_file` is trusted as an anchor even when it is the service's
    own (partial chain), so naming the service's certificate there pins it: the
    handshake fails, before anything is sent, for any other certificate.
    """
    if ca_file is None:
        return True
    context = ssl.create_default_context(cafile=str(ca_file))
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def read_token_file(path: Path) -> str:
    """The kiosk token from `path`, refused when anyone but its owner may read it.

    Raises:
        ValueError: The file is missing, empty, or readable or writable by others.
    """
    token = read_owner_only(path, "kiosk_token_file", "owner root")
    if not token:
        raise ValueError(f"kiosk_token_file {path} is empty")
    return token
