"""Throttles per card, holder and kiosk: requests counted per minute in the store."""

from __future__ import annotations

import math

from sqlalchemy import Connection

from service.domain.errors import Throttled
from service.domain.parts import Parts
from service.queries import rate_limits


def _retry_after(now: float, window: int) -> int:
    return max(1, math.ceil((window + 1) * 60 - now))


def count_within(parts: Parts, conn: Connection, bucket: str, limit: int | None = None) -> None:
    """Count one request in bucket's current minute, inside the caller's transaction.

    The count is one atomic statement (`rate_limits.count_one`), so it holds exactly
    across instances on one SQLite file or one PostgreSQL database.

    Args:
        parts: the service's parts.
        conn: the caller's transaction.
        bucket: what is counted.
        limit: refuse past this many; None counts without refusing.

    Raises:
        Throttled: over limit (with the seconds until the next minute).
    """
    now = parts.now()
    window = int(now // 60)
    count = rate_limits.count_one(conn, bucket, window)
    if limit is not None and count > limit:
        raise Throttled(retry_after=_retry_after(now, window))


def check_not_reached(parts: Parts, conn: Connection, bucket: str, limit: int) -> None:
    """Refuse when bucket's current minute already holds limit counts (counting nothing).

    Raises:
        Throttled: the limit is reached (with the seconds until the next minute).
    """
    now = parts.now()
    window = int(now // 60)
    if rate_limits.count_of(conn, bucket, window) >= limit:
        raise Throttled(retry_after=_retry_after(now, window))


def count_proven_start(parts: Parts, conn: Connection, serial: str, uuid: str) -> None:
    """Count a journey's start whose card proof held against its card and its holder.

    Only a proven start counts: a stranger naming a holder cannot spend the
    holder's bucket (issue 13 item 4); failed proofs count per kiosk instead.

    Raises:
        Throttled: either is over its limit.
    """
    count_within(parts, conn, f"card:{serial}", parts.settings.throttle.per_card)
    count_within(parts, conn, f"holder:{uuid}", parts.settings.throttle.per_holder)


def bad_proof_bucket(kiosk_id: str) -> str:
    """The bucket of one kiosk's failed card proofs."""
    return f"bad-proofs:{kiosk_id}"
