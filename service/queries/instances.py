"""Service instances and when each was last seen alive."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from service.tables import instances


def beat(conn: Connection, instance_id: str, now: float) -> None:
    """Record that the instance is alive now (adding it on its first beat)."""
    seen = update(instances).where(instances.c.id == instance_id).values(seen_at=now)
    if conn.execute(seen).rowcount == 0:
        conn.execute(insert(instances).values(id=instance_id, started_at=now, seen_at=now))


def seen_at(conn: Connection, instance_id: str) -> float | None:
    """When the instance last beat, or None for one never seen (or long gone)."""
    query = select(instances.c.seen_at).where(instances.c.id == instance_id)
    value = conn.execute(query).scalar()
    return None if value is None else float(value)


def forget_before(conn: Connection, before: float) -> None:
    """Delete instances silent since before this time."""
    conn.execute(delete(instances).where(instances.c.seen_at < before))
