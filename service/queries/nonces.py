"""Single-use nonces a kiosk asked for, to be MACed by a card."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, update

from service.tables import nonces

# Built once: building it cost about as much as running it.
_ADD = insert(nonces).values(used=False)


def add(conn: Connection, nonce: str, kiosk_id: str, expires_at: float) -> None:
    """Insert a fresh, unused nonce bound to the kiosk."""
    conn.execute(_ADD, {"nonce": nonce, "kiosk_id": kiosk_id, "expires_at": expires_at})


def use(conn: Connection, nonce: str, kiosk_id: str, now: float) -> bool:
    """Mark the nonce used; True only if it was the kiosk's, unused and unexpired."""
    used = conn.execute(
        update(nonces)
        .where(
            (nonces.c.nonce == nonce)
            & (nonces.c.kiosk_id == kiosk_id)
            & (nonces.c.used == False)  # noqa: E712 - SQL expression
            & (nonces.c.expires_at > now)
        )
        .values(used=True)
    ).rowcount
    return bool(used == 1)


def forget_expired(conn: Connection, before: float) -> None:
    """Delete nonces that expired before this time."""
    conn.execute(delete(nonces).where(nonces.c.expires_at < before))
