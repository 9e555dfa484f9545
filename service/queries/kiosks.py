"""The kiosks, known by the hash of their bearer token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select

from service.tables import kiosks


def by_token_hash(conn: Connection, token_hash: str) -> Row[Any] | None:
    """The kiosk whose token has this hash, or None."""
    return conn.execute(select(kiosks).where(kiosks.c.token_hash == token_hash)).first()


def add(
    conn: Connection, kiosk_id: str, name: str, token_hash: str, *, demo: bool, at: float
) -> None:
    """Insert a kiosk."""
    conn.execute(
        insert(kiosks).values(
            id=kiosk_id, name=name, token_hash=token_hash, demo=demo, created_at=at
        )
    )
