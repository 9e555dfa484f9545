"""Idempotency: a repeated request (same kiosk, same key) gets the first answer.

Records hold no secret: fingerprints are keyed hashes, and a cryptogram is
recomputed on a replay rather than stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from service.domain.errors import (
    IdempotencyKeyEmpty,
    IdempotencyKeyMismatch,
    RequestStillRunning,
)
from service.domain.parts import Kiosk, Parts
from service.queries import idempotency

IDEMPOTENCY_TTL = 24 * 3600.0
# A "running" record older than this was left by a crashed instance.
IDEMPOTENCY_STALE = 120.0


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a request, to replay."""

    status: int
    body: str | None
    """Its JSON; None when it must be recomputed (cryptograms)."""


def begin(
    parts: Parts, kiosk: Kiosk, key: str, method: str, path: str, body: str
) -> StoredAnswer | None:
    """Claim key for a request (None), or the stored answer to replay.

    Raises:
        IdempotencyKeyMismatch: the key came with another method, path or body.
        RequestStillRunning: the first request with this key is still running.
        IdempotencyKeyEmpty: an empty key, which would make every caller's
            requests one request.
    """
    if not key.strip():
        raise IdempotencyKeyEmpty()
    now = parts.now()
    key_hash = parts.fingerprint("idempotency-key", key)
    fingerprint = parts.fingerprint("idempotency-request", method, path, body)
    try:
        with parts.transaction() as conn:
            row = idempotency.find_for_update(conn, kiosk.id, key_hash)
            stale = row is not None and (
                row.created_at < now - IDEMPOTENCY_TTL
                or (row.state == "running" and row.created_at < now - IDEMPOTENCY_STALE)
            )
            if row is not None and not stale:
                if row.method != method or row.path != path or row.fingerprint != fingerprint:
                    raise IdempotencyKeyMismatch()
                if row.state == "running":
                    raise RequestStillRunning()
                return StoredAnswer(int(row.status), row.body)
            if stale:
                idempotency.forget(conn, kiosk.id, key_hash)
            idempotency.claim(
                conn,
                kiosk.id,
                key_hash,
                method=method,
                path=path,
                fingerprint=fingerprint,
                at=now,
            )
    except IntegrityError:
        # A concurrent first request inserted the same key a moment before us.
        raise RequestStillRunning() from None
    return None


def finish(parts: Parts, kiosk: Kiosk, key: str, status: int, body: str | None) -> None:
    """Keep the answer to replay (5xx answers are forgotten instead)."""
    key_hash = parts.fingerprint("idempotency-key", key)
    with parts.transaction() as conn:
        if status >= 500:
            idempotency.forget(conn, kiosk.id, key_hash)
        else:
            idempotency.finish(conn, kiosk.id, key_hash, status, body)
