"""Wrong codes per holder, one row each."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from service.tables import code_guesses


def add(conn: Connection, uuid: str, at: float) -> None:
    """Count one wrong code for the holder."""
    conn.execute(insert(code_guesses).values(uuid=uuid, at=at))


def since(conn: Connection, uuid: str, after: float) -> list[float]:
    """When the holder's wrong codes after this time were entered, oldest first."""
    query = (
        select(code_guesses.c.at)
        .where((code_guesses.c.uuid == uuid) & (code_guesses.c.at > after))
        .order_by(code_guesses.c.at)
    )
    return [float(at) for at in conn.execute(query).scalars()]


def forget_before(conn: Connection, uuid: str, before: float) -> None:
    """Delete the holder's wrong codes entered before this time."""
    conn.execute(
        delete(code_guesses).where((code_guesses.c.uuid == uuid) & (code_guesses.c.at <= before))
    )
