"""RA sessions at RA desks and the assisted unlocks made in them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from service.tables import ra_sessions, ra_unlocks


def add(conn: Connection, **values: Any) -> None:
    """Insert an RA session."""
    conn.execute(insert(ra_sessions).values(**values))


def find(conn: Connection, session_id: str, *, for_update: bool = False) -> Row[Any] | None:
    """The RA session with this id, or None."""
    query = select(ra_sessions).where(ra_sessions.c.id == session_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def change(conn: Connection, session_id: str, **values: Any) -> None:
    """Update the RA session with this id."""
    conn.execute(update(ra_sessions).where(ra_sessions.c.id == session_id).values(**values))


def end_open_at_kiosk(conn: Connection, kiosk_id: str, at: float, why: str) -> list[str]:
    """End every open session of a kiosk (a desk holds one RA at a time); their ids."""
    query = select(ra_sessions.c.id).where(
        ra_sessions.c.kiosk_id == kiosk_id, ra_sessions.c.ended_at.is_(None)
    )
    ids = [row.id for row in conn.execute(query.with_for_update())]
    if ids:
        conn.execute(
            update(ra_sessions).where(ra_sessions.c.id.in_(ids)).values(ended_at=at, ended_why=why)
        )
    return ids


def add_unlock(conn: Connection, **values: Any) -> None:
    """Insert an assisted unlock."""
    conn.execute(insert(ra_unlocks).values(**values))


def find_unlock(conn: Connection, unlock_id: str, *, for_update: bool = False) -> Row[Any] | None:
    """The assisted unlock with this id, or None."""
    query = select(ra_unlocks).where(ra_unlocks.c.id == unlock_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def change_unlock(conn: Connection, unlock_id: str, **values: Any) -> None:
    """Update the assisted unlock with this id."""
    conn.execute(update(ra_unlocks).where(ra_unlocks.c.id == unlock_id).values(**values))
