"""What the RA team does from the command line: bind holders, clear locks, look, export.

These run on the service's parts like the rules, but for the RA, not a kiosk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TypedDict

from sqlalchemy.exc import IntegrityError

from contract.ra_wire import RA_ROLES
from service.domain import code_guesses, holder_facts
from service.domain.audit import record
from service.domain.holder_facts import HolderLock, HolderRegistration
from service.domain.parts import Parts
from service.domain.times import rfc3339
from service.queries import audit, holder_answers, holders


class HolderView(HolderRegistration, HolderLock):
    """What `ra show` prints about a holder: never answers, hashes or codes."""

    question_ids: list[str]
    ra_role: str | None


class AuditRecord(TypedDict):
    """One line of `audit export`."""

    seq: int
    event_id: str | None
    at: str
    recorded_at: str
    source: str
    kiosk: str | None
    type: str
    uuid: str | None
    serial: str | None
    outcome: str
    detail: dict[str, Any]


def add_holder(parts: Parts, uuid: str, serial: str, name: str, email: str, mobile: str) -> None:
    """Bind a holder UUID to a card in the directory (not yet registered).

    `serial` is the card's identity on the wire: an own-applet card's 8-byte serial
    (16 hex digits) or a PIV card's 16-byte GUID (32 hex digits; `card enrol` then
    escrows its PUK and binds its certificates to the same holder).

    Raises:
        ValueError: malformed values, or the uuid or serial is already bound.
    """
    if not re.fullmatch(r"\d{12}", uuid) or not re.fullmatch(
        r"[0-9a-fA-F]{16}|[0-9a-fA-F]{32}", serial
    ):
        raise ValueError("uuid is 12 digits and serial 16 hex digits (a PIV card's GUID: 32)")
    if int(serial, 16) == 0:
        raise ValueError("a card serial is not all zero")
    try:
        with parts.transaction() as conn:
            holders.add(
                conn,
                uuid=uuid,
                serial=serial.lower(),
                name=name,
                email=email,
                mobile=mobile,
                registered=False,
                failed_attempts=0,
                demo=False,
            )
            record(parts, conn, "holder_added", "ok", source="ra", uuid=uuid, serial=serial.lower())
    except IntegrityError as exc:
        raise ValueError("this uuid or card serial is already in the directory") from exc


def clear_lock(parts: Parts, uuid: str) -> bool:
    """Clear a holder's self-service lock and failure count, and lift a pause after
    wrong codes (its count starts again); False if unknown."""
    with parts.transaction() as conn:
        done = holders.clear_lock(conn, uuid)
        code_guesses.clear(conn, uuid)
        if done:
            record(parts, conn, "ra_clear_lock", "ok", source="ra", uuid=uuid)
    return done


def set_ra_role(parts: Parts, uuid: str, role: str | None) -> bool:
    """Give a holder an RA role (`ra` or `manager`), or take it (None); False if unknown.

    Taking the role ends the holder's open RA session at its next call.

    Raises:
        ValueError: a role that is not one of RA_ROLES.
    """
    if role is not None and role not in RA_ROLES:
        raise ValueError(f"role is one of {', '.join(RA_ROLES)}")
    with parts.transaction() as conn:
        done = holders.set_ra_role(conn, uuid, role)
        if done:
            kind = "ra_role_granted" if role else "ra_role_revoked"
            record(parts, conn, kind, "ok", source="ra", uuid=uuid, role=role)
    return done


def show_holder(parts: Parts, uuid: str) -> HolderView | None:
    """What the RA may see about a holder (never answers, hashes or codes)."""
    with parts.engine.connect() as conn:
        row = holders.find(conn, uuid)
        if row is None:
            return None
        questions = holder_answers.question_ids(conn, uuid)
    return HolderView(
        **holder_facts.registration(row),
        question_ids=questions,
        **holder_facts.lock(row),
        ra_role=row.ra_role,
    )


def export_audit(parts: Parts, since: float | None = None) -> Iterator[AuditRecord]:
    """Audit records in order, optionally only those recorded at or after since."""
    with parts.engine.connect() as conn:
        for row in audit.records(conn, since):
            yield AuditRecord(
                seq=row.seq,
                event_id=row.event_id,
                at=row.at,
                recorded_at=rfc3339(row.recorded_at),
                source=row.source,
                kiosk=row.kiosk,
                type=row.type,
                uuid=row.uuid,
                serial=row.serial,
                outcome=row.outcome,
                detail=json.loads(row.detail),
            )
