"""The holder directory: who holds which card, their contact details and lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from service.tables import holders


def find(conn: Connection, uuid: str, *, for_update: bool = False) -> Row[Any] | None:
    """The holder with this UUID, or None."""
    query = select(holders).where(holders.c.uuid == uuid)
    return conn.execute(query.with_for_update() if for_update else query).first()


def get(conn: Connection, uuid: str, *, for_update: bool = False) -> Row[Any]:
    """The holder with this UUID, who must exist (a flow names a known holder)."""
    query = select(holders).where(holders.c.uuid == uuid)
    return conn.execute(query.with_for_update() if for_update else query).one()


def add(conn: Connection, **values: Any) -> None:
    """Insert a holder (IntegrityError when the uuid or serial is already bound)."""
    conn.execute(insert(holders).values(**values))


def count_failure(conn: Connection, uuid: str, failed: int, locked_at: float | None) -> None:
    """Store the failed answer count, and when self-service was locked (or None)."""
    conn.execute(
        update(holders)
        .where(holders.c.uuid == uuid)
        .values(failed_attempts=failed, locked_at=locked_at)
    )


def reset_failures(conn: Connection, uuid: str) -> None:
    """Correct answers: the failed answer count starts again at 0."""
    conn.execute(update(holders).where(holders.c.uuid == uuid).values(failed_attempts=0))


def clear_lock(conn: Connection, uuid: str) -> bool:
    """Clear the lock and the failure count; False when there is no such holder."""
    done = conn.execute(
        update(holders).where(holders.c.uuid == uuid).values(failed_attempts=0, locked_at=None)
    ).rowcount
    return bool(done)


def register(
    conn: Connection, uuid: str, *, email: str, mobile: str, terms_version: str, at: float
) -> None:
    """Mark the holder registered with these contact details (a lock stays)."""
    conn.execute(
        update(holders)
        .where(holders.c.uuid == uuid)
        .values(
            email=email,
            mobile=mobile,
            registered=True,
            terms_version=terms_version,
            registered_at=at,
        )
    )


def count_locked(conn: Connection) -> int:
    """How many holders' self-service is locked now (until the RA team clears it)."""
    return int(
        conn.execute(select(func.count()).where(holders.c.locked_at.is_not(None))).scalar_one()
    )


def set_ra_role(conn: Connection, uuid: str, role: str | None) -> bool:
    """Give a holder an RA role, or take it away (None); False when there is no such holder."""
    done = conn.execute(update(holders).where(holders.c.uuid == uuid).values(ra_role=role))
    return bool(done.rowcount)


def set_contacts(conn: Connection, uuid: str, *, email: str, mobile: str) -> None:
    """Record a holder's email and mobile (as the RA desk corrects them)."""
    conn.execute(update(holders).where(holders.c.uuid == uuid).values(email=email, mobile=mobile))
