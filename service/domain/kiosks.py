"""Kiosks: who may call, known by the hash of a bearer token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from service.domain.audit import record
from service.domain.errors import UnknownKiosk
from service.domain.parts import Kiosk, Parts
from service.domain.throttles import count_within
from service.domain.times import rfc3339
from service.queries import kiosks
from service.secrecy import new_id, token_hash


def add_kiosk(
    parts: Parts, name: str, token: str, *, demo: bool = False, ra_desk: bool = False
) -> str:
    """Register a kiosk by the hash of its token; returns the kiosk id.

    An RA desk (`ra_desk`) may also call the RA endpoints (docs/api.md "The RA desk").
    """
    kiosk_id = new_id()
    with parts.transaction() as conn:
        kiosks.add(
            conn, kiosk_id, name, token_hash(token), demo=demo, at=parts.now(), ra_desk=ra_desk
        )
        record(parts, conn, "kiosk_added", "ok", source="ra", kiosk_name=name, ra_desk=ra_desk)
    return kiosk_id


def authenticate(parts: Parts, token: str | None) -> Kiosk:
    """The kiosk holding this bearer token (counted against its throttle).

    Raises:
        UnknownKiosk: no token, an unknown one, or a demo one outside demo mode.
        Throttled: the kiosk is over its throttle.
    """
    if not token:
        raise UnknownKiosk()
    # One transaction for the lookup and the count: one turn at the store's write
    # lock per request, not two; and a count a power cut may lose need not wait for
    # the disk (issue 14 item 4). The count itself is exact across instances.
    with parts.transaction(durable=False) as conn:
        row = kiosks.by_token_hash(conn, token_hash(token))
        # Read from the store on every request, never cached: a revoked or rotated
        # token stops working at once on every instance sharing the store.
        if row is None or row.revoked_at is not None or (row.demo and not parts.settings.demo):
            raise UnknownKiosk()
        kiosk = Kiosk(id=row.id, name=row.name, ra_desk=bool(row.ra_desk))
        count_within(parts, conn, f"kiosk:{kiosk.id}", parts.settings.throttle.per_kiosk)
    return kiosk


def list_kiosks(parts: Parts) -> list[dict[str, Any]]:
    """Every kiosk as `kiosk list` shows it: id, name, demo, created, revoked (no token)."""
    with parts.engine.connect() as conn:
        rows = kiosks.every(conn)
    return [
        {
            "id": row.id,
            "name": row.name,
            "demo": bool(row.demo),
            "created_at": rfc3339(row.created_at),
            "revoked_at": rfc3339(row.revoked_at) if row.revoked_at is not None else None,
            "ra_desk": bool(row.ra_desk),
        }
        for row in rows
    ]


def _the_kiosk(conn: Connection, id_or_name: str) -> Row[Any]:
    found = kiosks.named(conn, id_or_name)
    by_id = [row for row in found if row.id == id_or_name]
    if by_id:
        return by_id[0]
    if not found:
        raise ValueError(f"no kiosk {id_or_name!r}")
    if len(found) > 1:
        raise ValueError(f"{len(found)} kiosks are named {id_or_name!r}; give the id")
    return found[0]


def revoke_kiosk(parts: Parts, id_or_name: str) -> str:
    """Refuse a kiosk's token from now on, on every instance; returns the kiosk id.

    Raises:
        ValueError: no such kiosk, a name several kiosks share, or already revoked.
    """
    with parts.transaction() as conn:
        row = _the_kiosk(conn, id_or_name)
        if row.revoked_at is not None:
            raise ValueError(f"kiosk {row.id} ({row.name}) is already revoked")
        kiosks.revoke(conn, row.id, parts.now())
        record(
            parts, conn, "kiosk_revoked", "ok", source="ra", kiosk_name=row.name, kiosk_id=row.id
        )
    return str(row.id)


def rotate_kiosk(parts: Parts, id_or_name: str, token: str) -> str:
    """Give a kiosk a new token; the old one is refused from now on. Returns the kiosk id.

    Raises:
        ValueError: no such kiosk, a name several kiosks share, or a revoked kiosk
            (a revoked kiosk stays revoked: add a new one).
    """
    with parts.transaction() as conn:
        row = _the_kiosk(conn, id_or_name)
        if row.revoked_at is not None:
            raise ValueError(f"kiosk {row.id} ({row.name}) is revoked; add a new kiosk")
        kiosks.replace_token(conn, row.id, token_hash(token))
        record(
            parts, conn, "kiosk_rotated", "ok", source="ra", kiosk_name=row.name, kiosk_id=row.id
        )
    return str(row.id)
