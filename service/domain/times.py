"""The clock and the ways times are written (the wire's RFC 3339, a mail's words)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def human_time(timestamp: float) -> str:
    """Epoch seconds as a time people read in a mail: 22 Nov 2026 16:12 UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y %H:%M UTC")


def rfc3339(timestamp: float) -> str:
    """Epoch seconds as an RFC 3339 UTC string."""
    return (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )
