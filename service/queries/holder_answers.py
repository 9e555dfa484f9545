"""The registered holders' answer hashes (argon2id; never an answer in clear)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, delete, insert, select

from service.tables import holder_answers


def question_ids(conn: Connection, uuid: str) -> list[str]:
    """The ids of the questions the holder answered, sorted."""
    query = select(holder_answers.c.question_id).where(holder_answers.c.uuid == uuid)
    return sorted(conn.execute(query).scalars())


def hashes(conn: Connection, uuid: str) -> dict[str, str]:
    """The holder's answer hash per question id."""
    rows = conn.execute(select(holder_answers).where(holder_answers.c.uuid == uuid))
    return {row.question_id: row.answer_hash for row in rows}


def replace(conn: Connection, uuid: str, hashed: Mapping[str, str]) -> None:
    """The holder's answers become exactly these hashes."""
    conn.execute(delete(holder_answers).where(holder_answers.c.uuid == uuid))
    add(conn, uuid, hashed)


def add(conn: Connection, uuid: str, hashed: Mapping[str, str]) -> None:
    """Store answer hashes per question id for the holder."""
    if hashed:
        conn.execute(
            insert(holder_answers),
            [{"uuid": uuid, "question_id": q, "answer_hash": h} for q, h in hashed.items()],
        )
