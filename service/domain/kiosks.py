"""Kiosks: who may call, known by the hash of a bearer token."""

from __future__ import annotations

from service.domain.audit import record
from service.domain.errors import UnknownKiosk
from service.domain.parts import Kiosk, Parts
from service.domain.throttles import throttle
from service.queries import kiosks
from service.secrecy import new_id, token_hash


def add_kiosk(parts: Parts, name: str, token: str, *, demo: bool = False) -> str:
    """Register a kiosk by the hash of its token; returns the kiosk id."""
    kiosk_id = new_id()
    with parts.transaction() as conn:
        kiosks.add(conn, kiosk_id, name, token_hash(token), demo=demo, at=parts.now())
        record(parts, conn, "kiosk_added", "ok", source="ra", kiosk_name=name)
    return kiosk_id


def authenticate(parts: Parts, token: str | None) -> Kiosk:
    """The kiosk holding this bearer token (counted against its throttle).

    Raises:
        UnknownKiosk: no token, an unknown one, or a demo one outside demo mode.
        Throttled: the kiosk is over its throttle.
    """
    if not token:
        raise UnknownKiosk()
    with parts.engine.connect() as conn:
        row = kiosks.by_token_hash(conn, token_hash(token))
    if row is None or (row.demo and not parts.settings.demo):
        raise UnknownKiosk()
    kiosk = Kiosk(id=row.id, name=row.name)
    throttle(parts, f"kiosk:{kiosk.id}", parts.settings.throttle.per_kiosk)
    return kiosk
