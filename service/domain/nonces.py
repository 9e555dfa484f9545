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
HOUSEKEEPING_EVERY = 16


def new_nonce(parts: Parts, kiosk: Kiosk, *, housekeep: bool | None = None) -> NonceOut:
    """POST /v1/nonces: a fresh single-use nonce bound to kiosk, and when it expires.

    Args:
        housekeep: whether to run `housekeeping` in the same transaction; None: about
            one nonce in HOUSEKEEPING_EVERY does (three deletes on every one cost more
            than the nonce, issue 14 item 4, and what they forget is minutes old at least).
    """
    now = parts.now()
    nonce = secrets.token_hex(16)
    # Not waiting for the disk: a nonce a power cut loses is simply unknown (the kiosk
    # asks for another); using one up is a rule's write and stays durable.
    with parts.transaction(durable=False) as conn:
        nonces.add(conn, nonce, kiosk.id, now + NONCE_TTL)
        if housekeep is None:
            housekeep = sweep_now()
        if housekeep:
            housekeeping(conn, now)
    return NonceOut(nonce=nonce, expires_at=rfc3339(now + NONCE_TTL))


def sweep_now() -> bool:
    """Whether this nonce's request sweeps (about one in HOUSEKEEPING_EVERY)."""
    return secrets.randbelow(HOUSEKEEPING_EVERY) == 0


def sweep(parts: Parts) -> None:
    """`housekeeping` in a relaxed transaction of its own (or the group commit's)."""
    with parts.transaction(durable=False) as conn:
        housekeeping(conn, parts.now())


def housekeeping(conn: Connection, now: float) -> None:
    """Forget old nonces, throttle counts and idempotency records (nonces are frequent)."""
    nonces.forget_expired(conn, now - 3600)
    rate_limits.forget_before(conn, int(now // 60) - 5)
    idempotency.forget_before(conn, now - IDEMPOTENCY_TTL)
