"""What counts as this machine: where plain HTTP is allowed (the kiosk's service URL,
the service's listening address), since nothing sent there leaves the machine."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether the host name or address never leaves this machine (127.0.0.0/8, ::1,
    localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
