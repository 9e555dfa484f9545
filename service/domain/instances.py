"""Which service instances are alive: work held by a dead one is abandoned at once.

Each instance beats (`beat`) every BEAT seconds from a background thread
(`service/housekeeping.py`). A request or a mail claim records the instance
holding it; another instance takes it as abandoned once that instance has been
silent for SILENT seconds, so after a kill -9 a kiosk's repeat is served within
seconds instead of waiting out a long fixed bound.
"""

from __future__ import annotations

from sqlalchemy import Connection

from service.queries import instances

BEAT = 1.0
"""Seconds between an instance's beats."""
SILENT = 5.0
"""An instance not seen for this long is dead (a few missed beats, not one slow one)."""


def beat(conn: Connection, instance_id: str, now: float) -> None:
    """Record that this instance is alive."""
    instances.beat(conn, instance_id, now)
    instances.forget_before(conn, now - 24 * 3600.0)


def alive(conn: Connection, instance_id: str | None, own_id: str, now: float) -> bool:
    """Whether the instance that holds some work may still finish it.

    This instance is alive by definition (it is asking). Another is alive while its
    beats are fresh; one that never beat (a record from before instances were kept,
    or an instance without a housekeeping thread) is given the benefit of the doubt:
    the caller's own fixed bound applies to it.
    """
    if instance_id is None or instance_id == own_id:
        return True
    seen = instances.seen_at(conn, instance_id)
    if seen is None:
        return True
    return seen >= now - SILENT
