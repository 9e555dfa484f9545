"""Nonces: single use, two minutes, for the kiosk that asked."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection

from contract.wire import NonceOut
from service.domain.idempotency import IDEMPOTENCY_TTL
from service.domain.parts import Kiosk, Parts
from service.domain.times import rfc3339
from service.queries import idempotency, nonces, rate_limits

NONCE_TTL = 120.0


def new_nonce(parts: Parts, kiosk: Kiosk) -> NonceOut:
    """POST /v1/nonces: a fresh single-use nonce bound to kiosk, and when it expires."""
    now = parts.now()
    nonce = secrets.token_hex(16)
    with parts.transaction() as conn:
        nonces.add(conn, nonce, kiosk.id, now + NONCE_TTL)
        housekeeping(conn, now)
    return NonceOut(nonce=nonce, expires_at=rfc3339(now + NONCE_TTL))


def housekeeping(conn: Connection, now: float) -> None:
    """Forget old nonces, throttle counts and idempotency records (nonces are frequent)."""
    nonces.forget_expired(conn, now - 3600)
    rate_limits.forget_before(conn, int(now // 60) - 5)
    idempotency.forget_before(conn, now - IDEMPOTENCY_TTL)
