"""The audit trail: every step's record, and the events kiosks report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from contract.wire import AuditEvent, AuditOut
from service.domain.errors import Refusal
from service.domain.parts import Kiosk, Parts
from service.domain.times import rfc3339
from service.queries import audit as audit_records

# Keys a kiosk must never send in an audit event's detail; dropped if it does.
SECRET_WORDS = ("pin", "passcode", "code", "answer", "cryptogram", "token", "mac", "key")


def record(
    parts: Parts,
    conn: Connection,
    kind: str,
    outcome: str,
    *,
    kiosk: Kiosk | None = None,
    uuid: str | None = None,
    serial: str | None = None,
    source: str = "service",
    **detail: Any,
) -> None:
    """Write the audit record of one step: who, where, what, outcome, when (no secret)."""
    now = parts.now()
    audit_records.add(
        conn,
        event_id=None,
        at=rfc3339(now),
        recorded_at=now,
        source=source,
        kiosk=kiosk.name if kiosk else None,
        type=kind,
        uuid=uuid,
        serial=serial,
        outcome=outcome,
        detail=json.dumps(detail, sort_keys=True),
    )


def refuse(parts: Parts, conn: Connection, kind: str, refusal: Refusal, **about: Any) -> NoReturn:
    """Record the refusal as the step's outcome, then raise it.

    Args:
        parts: the service's parts.
        conn: the step's transaction (committed with the record, since it refuses).
        kind: the step's audit type.
        refusal: what the step answers.
        **about: whom it is about (kiosk, uuid, serial, flow id) and any detail.
    """
    record(parts, conn, kind, refusal.code, **about)
    raise refusal


@contextmanager
def refusals_recorded(parts: Parts, conn: Connection, kind: str, **about: Any) -> Iterator[None]:
    """Record any refusal raised inside as the step's outcome (and let it through)."""
    try:
        yield
    except Refusal as refusal:
        record(parts, conn, kind, refusal.code, **about)
        raise


def record_kiosk_events(parts: Parts, kiosk: Kiosk, events: list[AuditEvent]) -> AuditOut:
    """POST /v1/audit: store new events, count the ones seen before."""
    accepted = duplicates = 0
    now = parts.now()
    for event in events:
        detail = {
            k: v
            for k, v in event.detail.items()
            if not any(word in k.lower() for word in SECRET_WORDS)
        }
        try:
            with parts.transaction() as conn:
                if audit_records.has_event(conn, event.id):
                    duplicates += 1
                    continue
                audit_records.add(
                    conn,
                    event_id=event.id,
                    at=event.at,
                    recorded_at=now,
                    source="kiosk",
                    kiosk=kiosk.name,
                    type=event.type,
                    uuid=event.uuid,
                    serial=event.serial,
                    outcome=event.outcome,
                    detail=json.dumps(detail, sort_keys=True, default=str),
                )
                accepted += 1
        except IntegrityError:
            # Another instance stored the same event id between our check and insert.
            duplicates += 1
    return AuditOut(accepted=accepted, duplicates=duplicates)
