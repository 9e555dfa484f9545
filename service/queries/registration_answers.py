"""Answer hashes of a registration waiting for its code (the holder's only once confirmed)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, delete, insert, select

from service.tables import registration_answers


def add(conn: Connection, registration_id: str, hashed: Mapping[str, str]) -> None:
    """Keep the registration's answer hashes per question id."""
    conn.execute(
        insert(registration_answers),
        [
            {"registration_id": registration_id, "question_id": q, "answer_hash": h}
            for q, h in hashed.items()
        ],
    )


def take(conn: Connection, registration_id: str) -> dict[str, str]:
    """Remove the registration's answer hashes and return them per question id."""
    where = registration_answers.c.registration_id == registration_id
    rows = conn.execute(select(registration_answers).where(where)).all()
    conn.execute(delete(registration_answers).where(where))
    return {row.question_id: row.answer_hash for row in rows}
