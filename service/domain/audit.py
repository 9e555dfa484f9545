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

# Keys a kiosk must never send in an audit event's detail; dropped if it does, at
# any depth (a nested new_pin, answers.q01, steps[].passcode).
SECRET_WORDS = ("pin", "passcode", "code", "answer", "cryptogram", "token", "mac", "key")
DETAIL_MAX_BYTES = 4096
"""The most a kiosk event's detail may hold, as stored JSON; a larger one is dropped."""
DETAIL_MAX_DEPTH = 8
"""Nesting kept in a kiosk event's detail; anything deeper is cut."""
CUT = "(nested too deep)"


def _secret_name(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def _without_secrets(value: Any, depth: int = 0) -> Any:
    """value with every member whose name suggests a secret dropped, at every depth."""
    if isinstance(value, dict | list) and depth >= DETAIL_MAX_DEPTH:
        return CUT
    if isinstance(value, dict):
        return {
            str(k): _without_secrets(v, depth + 1)
            for k, v in value.items()
            if not _secret_name(str(k))
        }
    if isinstance(value, list):
        return [_without_secrets(v, depth + 1) for v in value]
    return value


def kiosk_detail(detail: dict[str, Any]) -> str:
    """A kiosk event's detail as stored: no secret-named member, at most DETAIL_MAX_BYTES."""
    stored = json.dumps(_without_secrets(detail), sort_keys=True, default=str)
    if len(stored.encode()) > DETAIL_MAX_BYTES:
        # The event itself is kept (a kiosk must be able to drain its outbox).
        stored = json.dumps({"detail_dropped": f"over {DETAIL_MAX_BYTES} bytes"})
    return stored


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


def record_mail_not_sent(parts: Parts, kiosk: Kiosk, template: str, path: str) -> None:
    """Record that a kiosk's call could not mail (503 mail_unavailable; nothing else was
    written): the RA manager's report counts the codes not delivered from these."""
    with parts.transaction() as conn:
        record(
            parts,
            conn,
            "mail_not_sent",
            "mail_unavailable",
            kiosk=kiosk,
            template=template,
            path=path,
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
        detail = kiosk_detail(event.detail)
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
                    detail=detail,
                )
                accepted += 1
        except IntegrityError:
            # Another instance stored the same event id between our check and insert.
            duplicates += 1
    return AuditOut(accepted=accepted, duplicates=duplicates)
