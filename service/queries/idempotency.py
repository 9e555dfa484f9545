"""Idempotency records: a kiosk's key, the request it first came with, its answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, delete, insert, select, update

from service.tables import idempotency


def _key(kiosk_id: str, key_hash: str) -> ColumnElement[bool]:
    return (idempotency.c.kiosk_id == kiosk_id) & (idempotency.c.key_hash == key_hash)


def find_for_update(conn: Connection, kiosk_id: str, key_hash: str) -> Row[Any] | None:
    """The record of the kiosk's key, locked, or None."""
    query = select(idempotency).where(_key(kiosk_id, key_hash)).with_for_update()
    return conn.execute(query).first()


def claim(
    conn: Connection,
    kiosk_id: str,
    key_hash: str,
    *,
    method: str,
    path: str,
    fingerprint: str,
    at: float,
    instance_id: str,
) -> None:
    """Insert a "running" record (IntegrityError if another request claimed the key)."""
    conn.execute(
        insert(idempotency).values(
            kiosk_id=kiosk_id,
            key_hash=key_hash,
            method=method,
            path=path,
            fingerprint=fingerprint,
            state="running",
            created_at=at,
            instance_id=instance_id,
        )
    )


def finish(conn: Connection, kiosk_id: str, key_hash: str, status: int, body: str | None) -> None:
    """Keep the answer of the request that claimed the key."""
    conn.execute(
        update(idempotency)
        .where(_key(kiosk_id, key_hash))
        .values(state="done", status=status, body=body)
    )


def forget(conn: Connection, kiosk_id: str, key_hash: str) -> None:
    """Delete the record of the kiosk's key."""
    conn.execute(delete(idempotency).where(_key(kiosk_id, key_hash)))


def forget_before(conn: Connection, before: float) -> None:
    """Delete the records created before this time."""
    conn.execute(delete(idempotency).where(idempotency.c.created_at < before))
