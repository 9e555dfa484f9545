"""Unlocks and registrations: the two journey tables, which share their code columns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Table, insert, select, update


def find(
    conn: Connection, table: Table, flow_id: str, *, for_update: bool = False
) -> Row[Any] | None:
    """The unlock or registration with this id, or None."""
    query = select(table).where(table.c.id == flow_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def add(conn: Connection, table: Table, **values: Any) -> None:
    """Insert an unlock or a registration."""
    conn.execute(insert(table).values(**values))


def change(conn: Connection, table: Table, flow_id: str, **values: Any) -> None:
    """Update the unlock or registration with this id."""
    conn.execute(update(table).where(table.c.id == flow_id).values(**values))
