"""The holder directory's PIV bindings: a card GUID, its holder and certificate hashes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select

from service.tables import piv_cards


def find(conn: Connection, guid: str) -> Row[Any] | None:
    """The binding of the card with this GUID (32 hex), or None."""
    return conn.execute(select(piv_cards).where(piv_cards.c.guid == guid)).first()


def add(
    conn: Connection,
    *,
    guid: str,
    uuid: str,
    card_key_sha256: str,
    holder_key_sha256: str,
    at: float,
) -> None:
    """Bind a card to its holder (IntegrityError when the GUID or UUID is bound already)."""
    conn.execute(
        insert(piv_cards).values(
            guid=guid,
            uuid=uuid,
            card_key_sha256=card_key_sha256,
            holder_key_sha256=holder_key_sha256,
            enrolled_at=at,
        )
    )
