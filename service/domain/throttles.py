"""Throttles per card, holder and kiosk: requests counted per minute in the store."""

from __future__ import annotations

import math

from sqlalchemy.exc import IntegrityError

from service.domain.errors import Throttled
from service.domain.parts import Parts
from service.queries import rate_limits


def throttle(parts: Parts, bucket: str, limit: int) -> None:
    """Count one request in bucket's current minute.

    Raises:
        Throttled: over limit (with the seconds until the next minute).
    """
    now = parts.now()
    window = int(now // 60)
    for _attempt in range(3):
        try:
            with parts.transaction() as conn:
                count = rate_limits.count_one(conn, bucket, window)
            break
        except IntegrityError:
            # Another instance opened this window first (PostgreSQL cannot lock a
            # row that does not exist yet): count again on its row.
            continue
    else:
        raise RuntimeError(f"could not count requests for {bucket}")
    if count > limit:
        raise Throttled(retry_after=max(1, math.ceil((window + 1) * 60 - now)))


def throttle_card_and_holder(parts: Parts, serial: str, uuid: str) -> None:
    """Count a journey's start against its card and its holder.

    Raises:
        Throttled: either is over its limit.
    """
    throttle(parts, f"card:{serial}", parts.settings.throttle.per_card)
    throttle(parts, f"holder:{uuid}", parts.settings.throttle.per_holder)
