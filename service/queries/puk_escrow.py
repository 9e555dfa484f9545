"""The PUK escrow table: each PIV card's sealed PUK and the one a rotation is taking it to.

Values here are sealed (service/domain/puk_escrow.py); this module never sees a PUK.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from service.tables import puk_escrow


def find(conn: Connection, guid: str, *, for_update: bool = False) -> Row[Any] | None:
    """The escrow of the card with this GUID, or None."""
    query = select(puk_escrow).where(puk_escrow.c.guid == guid)
    return conn.execute(query.with_for_update() if for_update else query).first()


def add(conn: Connection, guid: str, sealed_puk: str, at: float) -> None:
    """Escrow a card's first PUK (IntegrityError when the card has one already)."""
    conn.execute(
        insert(puk_escrow).values(
            guid=guid, puk=sealed_puk, pending=None, rotation=0, updated_at=at
        )
    )


def change(
    conn: Connection, guid: str, *, puk: str, pending: str | None, rotation: int, at: float
) -> None:
    """Replace the sealed PUK and pending PUK, with the rotation number they now carry."""
    conn.execute(
        update(puk_escrow)
        .where(puk_escrow.c.guid == guid)
        .values(puk=puk, pending=pending, rotation=rotation, updated_at=at)
    )
