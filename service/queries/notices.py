"""Notices the service owes holders, until sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from service.tables import notices


def add(conn: Connection, **values: Any) -> None:
    """Insert a notice owed."""
    conn.execute(insert(notices).values(**values))


def cancel(conn: Connection, about: str) -> int:
    """Delete the unsent notices about this; how many."""
    query = delete(notices).where((notices.c.about == about) & notices.c.sent_at.is_(None))
    return int(conn.execute(query).rowcount)


def due(conn: Connection, now: float, claimed_before: float, limit: int) -> list[Row[Any]]:
    """Unsent notices due by now that nobody is sending (or whose sender gave up)."""
    query = (
        select(notices)
        .where(notices.c.sent_at.is_(None) & (notices.c.due_at <= now))
        .where(notices.c.claim.is_(None) | (notices.c.claimed_at < claimed_before))
        .order_by(notices.c.due_at)
        .limit(limit)
    )
    return list(conn.execute(query).all())


def get(conn: Connection, notice_id: str) -> Row[Any] | None:
    """The notice with this id, or None."""
    return conn.execute(select(notices).where(notices.c.id == notice_id)).first()


def claim(conn: Connection, notice_id: str, claim: str, now: float, claimed_before: float) -> bool:
    """Take the notice for sending; False if it was sent or taken meanwhile."""
    query = (
        update(notices)
        .where((notices.c.id == notice_id) & notices.c.sent_at.is_(None))
        .where(notices.c.claim.is_(None) | (notices.c.claimed_at < claimed_before))
        .values(claim=claim, claimed_at=now)
    )
    return bool(conn.execute(query).rowcount)


def sent(conn: Connection, notice_id: str, claim: str, now: float) -> None:
    """Mark the notice sent."""
    conn.execute(
        update(notices)
        .where((notices.c.id == notice_id) & (notices.c.claim == claim))
        .values(sent_at=now)
    )


def retry_later(conn: Connection, notice_id: str, claim: str, due_at: float, attempts: int) -> None:
    """The mail did not go: free the notice and try again at due_at."""
    conn.execute(
        update(notices)
        .where((notices.c.id == notice_id) & (notices.c.claim == claim))
        .values(claim=None, claimed_at=None, due_at=due_at, attempts=attempts)
    )


def unsent(conn: Connection, uuid: str) -> list[Row[Any]]:
    """The holder's notices not sent yet (for the RA view and tests)."""
    query = select(notices).where((notices.c.uuid == uuid) & notices.c.sent_at.is_(None))
    return list(conn.execute(query).all())


def forget_sent_before(conn: Connection, before: float) -> None:
    """Delete notices sent before this time."""
    conn.execute(delete(notices).where(notices.c.sent_at < before))
