"""The audit trail: what the service did and what the kiosks reported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from service.tables import audit


def add(conn: Connection, **values: Any) -> None:
    """Append one audit record (IntegrityError for a kiosk event id seen before)."""
    conn.execute(insert(audit).values(**values))


def has_event(conn: Connection, event_id: str) -> bool:
    """Whether a kiosk event with this id was stored."""
    return conn.execute(select(audit.c.seq).where(audit.c.event_id == event_id)).first() is not None


def records(conn: Connection, since: float | None = None) -> Iterator[Row[Any]]:
    """The records in order, optionally only those recorded at or after since."""
    query = select(audit).order_by(audit.c.seq)
    if since is not None:
        query = query.where(audit.c.recorded_at >= since)
    yield from conn.execute(query)


def about_holder(conn: Connection, uuid: str, limit: int) -> list[Row[Any]]:
    """The newest records the service and the RA desks made about a holder, newest first
    (at most limit). What kiosks report of themselves is left out: it repeats the
    service's own records in the kiosk's words."""
    query = (
        select(audit)
        .where(audit.c.uuid == uuid, audit.c.source != "kiosk")
        .order_by(audit.c.seq.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


def recorded_between(conn: Connection, since: float, until: float) -> Iterator[Row[Any]]:
    """The records recorded in [since, until), in order (read in pages by the caller)."""
    query = (
        select(audit)
        .where(audit.c.recorded_at >= since, audit.c.recorded_at < until)
        .order_by(audit.c.seq)
    )
    yield from conn.execute(query)
