"""The kiosks, known by the hash of their bearer token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, or_, select, update

from service.tables import kiosks

# Built once: it runs on every authenticated request.
_BY_TOKEN_HASH = select(kiosks).where(kiosks.c.token_hash == bindparam("token_hash"))


def by_token_hash(conn: Connection, token_hash: str) -> Row[Any] | None:
    """The kiosk whose token has this hash, or None."""
    return conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash}).first()


def add(
    conn: Connection,
    kiosk_id: str,
    name: str,
    token_hash: str,
    *,
    demo: bool,
    at: float,
    ra_desk: bool = False,
) -> None:
    """Insert a kiosk."""
    conn.execute(
        insert(kiosks).values(
            id=kiosk_id,
            name=name,
            token_hash=token_hash,
            demo=demo,
            created_at=at,
            ra_desk=ra_desk,
        )
    )


def every(conn: Connection) -> list[Row[Any]]:
    """Every kiosk, oldest first (token hashes left out)."""
    columns = (
        kiosks.c.id,
        kiosks.c.name,
        kiosks.c.demo,
        kiosks.c.created_at,
        kiosks.c.revoked_at,
        kiosks.c.ra_desk,
    )
    return list(conn.execute(select(*columns).order_by(kiosks.c.created_at, kiosks.c.id)))


def named(conn: Connection, id_or_name: str) -> list[Row[Any]]:
    """The kiosks (locked for update) whose id or name this is."""
    query = select(kiosks).where(or_(kiosks.c.id == id_or_name, kiosks.c.name == id_or_name))
    return list(conn.execute(query.with_for_update()))


def revoke(conn: Connection, kiosk_id: str, at: float) -> None:
    """Mark a kiosk revoked: its token is refused from now on."""
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(revoked_at=at))


def replace_token(conn: Connection, kiosk_id: str, token_hash: str) -> None:
    """Give a kiosk a new token hash; the old token is unknown from now on."""
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(token_hash=token_hash))
