"""Mailed codes, shared by unlocks and registrations.

8 random digits, stored as a keyed fingerprint, bound to the one flow they were
issued for, single use, valid 15 minutes, 3 wrong tries and then void; resends
are rate limited and never reset a count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Table

from contract.codes import digits_of, group_code
from contract.wire import CodeSent
from service.domain.audit import record, refusals_recorded
from service.domain.code_guesses import count_wrong_code, refuse_if_paused
from service.domain.errors import (
    CodeLapsed,
    CodeRejected,
    CodeVoided,
    HolderPaused,
    ResendLimited,
    StepOutOfOrder,
)
from service.domain.kept_answers import keep
from service.domain.parts import Kiosk, Parts
from service.domain.times import human_time, rfc3339
from service.mailing import Pass
from service.queries import flows, holders
from service.secrecy import mask_email

CODE_TTL = 15 * 60.0
CODE_TRIES = 3
MAX_RESENDS = 3
RESEND_INTERVAL = 60.0


@dataclass(frozen=True)
class FlowKind:
    """What differs between the unlock and the registration variants of a step."""

    name: str
    """"unlock" or "registration": the audit types' prefix and the id's name."""
    table: Table
    template: str
    """The code mail's template."""
    to_new_address: bool
    """Mail the address being registered (registration), not the holder's own."""
    code_step: str
    """The audit type of the step that takes the code."""

    def flow(self, flow_id: str) -> str:
        """The flow's name for its mail claim (service/domain/mail_claims.py)."""
        return f"{self.table.name}:{flow_id}"

    def who(self, kiosk: Kiosk, row: Row[Any]) -> dict[str, Any]:
        """Whom an audit record of this flow's step is about."""
        return {"kiosk": kiosk, "uuid": row.uuid, "serial": row.serial, f"{self.name}_id": row.id}


@dataclass(frozen=True)
class IssuedCode:
    """A fresh code and the flow columns that hold it (its fingerprint, expiry, sending)."""

    code: str
    columns: dict[str, Any]
    prefix: str = ""
    """"" for the flow's first code; "sms_" for an unlock's second code, by text."""

    @property
    def expires_at(self) -> float:
        """When the code stops working (epoch seconds)."""
        return float(self.columns[f"{self.prefix}code_expires_at"])


def issue_code(
    parts: Parts,
    kind: FlowKind,
    flow_id: str,
    now: float,
    out: Pass,
    *,
    ttl: float = CODE_TTL,
    prefix: str = "",
) -> IssuedCode:
    """Draw a code for the flow (the caller stores its columns).

    Args:
        ttl: its life in seconds (15 minutes by email; texts at most 10).
        prefix: "" for the flow's code, "sms_" for an unlock's second code (its own
            fingerprint, expiry, tries and void, so each code is counted alone).
    """
    code = out.code()
    columns: dict[str, Any] = {
        f"{prefix}code_hash": parts.fingerprint("code", kind.table.name, flow_id + prefix, code),
        f"{prefix}code_expires_at": now + ttl,
    }
    if prefix:
        columns |= {f"{prefix}code_tries_left": CODE_TRIES, f"{prefix}code_void": False}
    else:
        columns["last_sent_at"] = now
    return IssuedCode(code, columns, prefix)


def check_code(
    parts: Parts,
    conn: Connection,
    kind: FlowKind,
    row: Row[Any],
    code: str,
    now: float,
    prefix: str = "",
) -> None:
    """Accept the code (it cannot be used again) or count a wrong try.

    A wrong try counts against the code (3, then void) and against the holder
    (service/domain/code_guesses.py).

    Args:
        prefix: which of the flow's codes ("" or an unlock's "sms_").

    Raises:
        HolderPaused: this wrong try paused self-service for the holder.
        CodeVoided: three wrong tries, now or before.
        CodeLapsed: no live code.
        CodeRejected: a wrong try, with the tries left.
    """
    column = row._mapping
    if column[f"{prefix}code_void"]:
        raise CodeVoided()
    code_hash = column[f"{prefix}code_hash"]
    if code_hash is None or column[f"{prefix}code_expires_at"] <= now:
        raise CodeLapsed()
    given = digits_of(code)
    if parts.fingerprint.matches(code_hash, "code", kind.table.name, row.id + prefix, given):
        flows.change(conn, kind.table, row.id, **{f"{prefix}code_hash": None})
        return
    tries_left = column[f"{prefix}code_tries_left"] - 1
    flows.change(
        conn,
        kind.table,
        row.id,
        **{f"{prefix}code_tries_left": tries_left, f"{prefix}code_void": tries_left <= 0},
    )
    paused_until = count_wrong_code(parts, conn, row.uuid, now)
    if paused_until is not None:
        raise HolderPaused(retry_after=max(1, math.ceil(paused_until - now)))
    if tries_left <= 0:
        raise CodeVoided("Three wrong codes: this code no longer works.")
    raise CodeRejected(tries_left=tries_left)


def take_code(
    parts: Parts,
    conn: Connection,
    kiosk: Kiosk,
    kind: FlowKind,
    row: Row[Any],
    code: str,
    now: float,
) -> dict[str, Any]:
    """The code entered for a flow waiting for one: accept it, or audit the refusal.

    Returns:
        Whom the step's audit record is about.

    Raises:
        StepOutOfOrder: no code is expected now.
        HolderPaused: too many wrong codes for the holder lately; nothing counted.
        CodeVoided, CodeLapsed, CodeRejected: see `check_code`.
    """
    who = kind.who(kiosk, row)
    if row.step != "code":
        raise StepOutOfOrder("No code is expected now.")
    with refusals_recorded(parts, conn, kind.code_step, **who):
        refuse_if_paused(parts, conn, row.uuid, now)
        check_code(parts, conn, kind, row, code, now)
    return who


def send_code(
    out: Pass, kind: FlowKind, row: Row[Any], holder: Row[Any], issued: IssuedCode
) -> CodeSent:
    """Ask for this flow's code mail; the answer that says where it went."""
    to = row.email if kind.to_new_address else holder.email
    expires_at = issued.expires_at
    out.send(
        to,
        kind.template,
        name=holder.name,
        code=group_code(issued.code),
        expires_at=human_time(expires_at),
    )
    return CodeSent(code_sent_to=mask_email(to), code_expires_at=rfc3339(expires_at))


def _reissue(
    parts: Parts, conn: Connection, kind: FlowKind, row: Row[Any], now: float, out: Pass
) -> IssuedCode:
    """A new code instead of the waiting one, if a resend is allowed now."""
    check_resend(parts, conn, row, now)
    issued = issue_code(parts, kind, row.id, now, out)
    flows.change(conn, kind.table, row.id, resends=row.resends + 1, **issued.columns)
    return issued


def check_resend(
    parts: Parts, conn: Connection, row: Row[Any], now: float, *, counted: bool = True
) -> None:
    """Refuse a resend that is not allowed now (the flow's step, void code, limits).

    Args:
        counted: it counts as one of MAX_RESENDS (not when it sends a code owed
            after its message failed: that code never arrived).

    Raises:
        StepOutOfOrder, CodeVoided, HolderPaused, ResendLimited.
    """
    if row.step != "code":
        raise StepOutOfOrder("No code is waiting to be entered.")
    if row.code_void:
        raise CodeVoided()
    refuse_if_paused(parts, conn, row.uuid, now)
    if counted and row.resends >= MAX_RESENDS:
        raise ResendLimited(
            retry_after=max(1, math.ceil(row.expires_at - now)),
            detail="No more codes can be sent for this request.",
        )
    wait = row.last_sent_at + RESEND_INTERVAL - now
    if wait > 0:
        raise ResendLimited(retry_after=max(1, math.ceil(wait)))


def resend_code(
    parts: Parts,
    kiosk: Kiosk,
    kind: FlowKind,
    flow_id: str,
    load: Callable[[Connection], Row[Any]],
) -> CodeSent:
    """POST /v1/{unlocks,registrations}/{id}/resend: the old code stops, a new one is mailed.

    Args:
        parts: the service's parts.
        kiosk: the calling kiosk.
        kind: unlock or registration.
        flow_id: the unlock's or registration's id.
        load: loads the flow row for update (refusing unknown or expired flows).

    Raises:
        StepOutOfOrder, CodeVoided, ResendLimited: see `_reissue`; MailNotSent.
    """
    now = parts.now()

    def body(conn: Connection, out: Pass) -> CodeSent:
        row = load(conn)
        who = kind.who(kiosk, row)
        with refusals_recorded(parts, conn, f"{kind.name}_resend", **who):
            issued = _reissue(parts, conn, kind, row, now, out)
        holder = holders.get(conn, row.uuid)
        result = send_code(out, kind, row, holder, issued)
        record(parts, conn, f"{kind.name}_resend", "ok", **who)
        keep(conn, result)
        return result

    return parts.mailing(body, flow=kind.flow(flow_id))
