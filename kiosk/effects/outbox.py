"""Delivering the outbox: audit events and unlock results the service has not had yet.

Oldest first, audit events in one batch, stopping at the first failure; nothing
is dropped while the service is down, and nothing reaches its books twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from contract import wire
from kiosk import service_client as sc
from kiosk.effects.parts import EffectParts
from kiosk.effects.service import report_unlock_result

log = logging.getLogger(__name__)


async def flush_outbox(parts: EffectParts) -> int:
    """Send what is due, oldest first; stop at the first failure. Returns items sent."""
    now = parts.clock()
    try:
        items = parts.store.outbox.due(now)
    except sqlite3.Error:
        items = []
    items += parts.unsaved
    sent = 0
    audit = [i for i in items if i.kind == "audit"]
    if audit:
        events = [_audit_event(i.id, i.payload) for i in audit]
        try:
            # The key names this exact batch: a retry of it is one request to the
            # service, while a different batch (more events queued meanwhile, or
            # an item whose deletion the disk refused) is a new one.
            batch = hashlib.sha256("\n".join(i.id for i in audit).encode()).hexdigest()
            await parts.client.send_audit(events, idempotency_key=f"audit-{batch[:40]}")
        except sc.ServiceError:
            _settle(parts, failed=[i.id for i in audit], now=now)
            return sent
        _settle(parts, delivered=[i.id for i in audit], now=now)
        sent += len(audit)
    for item in (i for i in items if i.kind == "unlock_result"):
        p = item.payload
        unlock_id, outcome, word = str(p["unlock_id"]), str(p["outcome"]), str(p["status_word"])
        if await report_unlock_result(parts, unlock_id, outcome, word):
            _settle(parts, delivered=[item.id], now=now)
            sent += 1
        else:
            _settle(parts, failed=[item.id], now=now)
    return sent


def _settle(
    parts: EffectParts,
    *,
    now: dt.datetime,
    delivered: Sequence[str] = (),
    failed: Sequence[str] = (),
) -> None:
    """Record a delivery outcome in memory and in the store (if it can be written)."""
    done = set(delivered)
    parts.unsaved = [i for i in parts.unsaved if i.id not in done]
    try:
        if delivered:
            parts.store.outbox.delivered(delivered)
        if failed:
            parts.store.outbox.failed(failed, now=now)
    except sqlite3.Error as exc:
        log.warning("outbox bookkeeping not saved (local store: %s)", exc)


def _audit_event(item_id: str, payload: dict[str, Any]) -> wire.AuditEvent:
    # Built unchecked: the service checks each event and refuses a bad one by itself;
    # a check here would stop the whole outbox on one stored event.
    return wire.AuditEvent.model_construct(
        id=item_id,
        at=str(payload["at"]),
        type=str(payload["type"]),
        outcome=str(payload["outcome"]),
        serial=payload.get("serial"),
        uuid=payload.get("uuid"),
        detail=payload.get("detail") or {},
    )
