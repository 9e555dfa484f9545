"""Idempotency: a repeated request (same kiosk, same key) gets the first answer.

Records hold no secret: fingerprints are keyed hashes, and a cryptogram is
recomputed on a replay rather than stored. The answer is kept in the same
transaction as the step (service/domain/kept_answers.py); a record still
"running" belongs to a request under way, unless the instance running it has
stopped beating (service/domain/instances.py: a kill -9 frees its keys within
seconds) or it is older than IDEMPOTENCY_STALE.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from service.domain import instances
from service.domain.errors import (
    IdempotencyKeyEmpty,
    IdempotencyKeyMismatch,
    RequestStillRunning,
)
from service.domain.parts import Kiosk, Parts
from service.queries import idempotency

IDEMPOTENCY_TTL = 24 * 3600.0
# A "running" record older than this is abandoned even if its instance still beats
# (a request cannot take longer: the mail and store timeouts end it first).
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
    key_hash = hash_of(parts, key)
    fingerprint = parts.fingerprint("idempotency-request", method, path, body)
    try:
        with parts.transaction() as conn:
            row = idempotency.find_for_update(conn, kiosk.id, key_hash)
            stale = row is not None and (
                row.created_at < now - IDEMPOTENCY_TTL
                or (
                    row.state == "running"
                    and (
                        row.created_at < now - IDEMPOTENCY_STALE
                        or not instances.alive(conn, row.instance_id, parts.instance_id, now)
                    )
                )
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
                instance_id=parts.instance_id,
            )
    except IntegrityError:
        # A concurrent first request inserted the same key a moment before us.
        raise RequestStillRunning() from None
    return None


def hash_of(parts: Parts, key: str) -> str:
    """How a key is stored: a keyed hash, never the key."""
    return parts.fingerprint("idempotency-key", key)


def finish(parts: Parts, kiosk: Kiosk, key: str, status: int, body: str | None) -> None:
    """Keep the answer to replay (5xx answers are forgotten instead), when the step
    did not keep it in its own transaction (service/domain/kept_answers.py)."""
    key_hash = hash_of(parts, key)
    with parts.transaction() as conn:
        if status >= 500:
            idempotency.forget(conn, kiosk.id, key_hash)
        else:
            idempotency.finish(conn, kiosk.id, key_hash, status, body)
