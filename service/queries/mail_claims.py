"""Mail claims: which request is sending a flow's mail now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from service.tables import mail_claims


def find_for_update(conn: Connection, key: str) -> Row[Any] | None:
    """The claim on key, locked, or None."""
    query = select(mail_claims).where(mail_claims.c.key == key).with_for_update()
    return conn.execute(query).first()


def take(conn: Connection, key: str, token: str, instance_id: str, at: float) -> None:
    """Insert a claim (IntegrityError if another request inserted one first)."""
    conn.execute(
        insert(mail_claims).values(key=key, token=token, instance_id=instance_id, claimed_at=at)
    )


def take_over(
    conn: Connection, key: str, old_token: str, token: str, instance_id: str, at: float
) -> bool:
    """Replace an abandoned claim with ours; False if it changed meanwhile."""
    done = conn.execute(
        update(mail_claims)
        .where((mail_claims.c.key == key) & (mail_claims.c.token == old_token))
        .values(token=token, instance_id=instance_id, claimed_at=at)
    ).rowcount
    return bool(done)


def release(conn: Connection, key: str, token: str) -> None:
    """Delete our claim (a claim taken over by another request is left alone)."""
    conn.execute(
        delete(mail_claims).where((mail_claims.c.key == key) & (mail_claims.c.token == token))
    )
