"""An unlock's codes under the deployment's policy: one (email or text) or two (both).

The first code lives in the unlock's code columns, whatever its channel; under
two-channel the texted code lives in the `sms_` columns with its own expiry, tries
and void, so each code is counted on its own (docs/api.md "Policies").
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Row

from contract.wire import Channel, CodeSent
from service.domain.code_guesses import count_wrong_code
from service.domain.codes import FlowKind, IssuedCode, check_code, issue_code
from service.domain.errors import (
    ChannelRefused,
    CodeLapsed,
    CodeRejected,
    CodeVoided,
    HolderPaused,
)
from service.domain.parts import Parts
from service.domain.policy import address, code_ttl, masked, stored
from service.domain.times import human_time, rfc3339
from service.mailing import Pass
from service.queries import flows
from service.tables import unlocks

Issued = list[tuple[Channel, IssuedCode]]


def issue(
    parts: Parts, kind: FlowKind, unlock_id: str, channels: list[Channel], now: float, out: Pass
) -> Issued:
    """A code per channel: the first in the code columns, a second (by text) in `sms_`."""
    return [
        (
            channel,
            issue_code(
                parts,
                kind,
                unlock_id,
                now,
                out,
                ttl=code_ttl(parts.settings, channel),
                prefix="sms_" if n else "",
            ),
        )
        for n, channel in enumerate(channels)
    ]


def columns(issued: Issued) -> dict[str, Any]:
    """The unlock columns that hold the issued codes."""
    merged: dict[str, Any] = {}
    for _channel, one in issued:
        merged |= one.columns
    return merged


def send(out: Pass, holder: Row[Any], issued: Issued) -> CodeSent:
    """Ask for each code's message (email or text); the answer that says where they went."""
    for channel, one in issued:
        values = {"name": holder.name, "code": one.code, "expires_at": human_time(one.expires_at)}
        if channel == "sms":
            out.text(address(holder, channel), "unlock-code", **values)
        else:
            out.send(address(holder, channel), "unlock-code", **values)
    (first_channel, first), *rest = issued
    sent = CodeSent(
        code_sent_to=masked(holder, first_channel), code_expires_at=rfc3339(first.expires_at)
    )
    if rest:
        second_channel, second = rest[0]
        sent.text_sent_to = masked(holder, second_channel)
        sent.text_expires_at = rfc3339(second.expires_at)
    return sent


def check(
    parts: Parts,
    conn: Connection,
    kind: FlowKind,
    row: Row[Any],
    code: str,
    text_code: str | None,
    now: float,
) -> None:
    """Accept the unlock's code(s), or count a wrong try on each code that is wrong.

    With two codes both must be right in the same request; a right one is not used
    up while the other is wrong, and only the wrong one loses a try.

    Raises:
        ChannelRefused: two codes are needed and the texted one is missing (nothing
            counted), or a texted code came for an unlock that sent one code.
        CodeVoided, CodeLapsed, CodeRejected: as `check_code`, for either code.
    """
    if len(stored(row)) < 2:
        if text_code is not None:
            raise ChannelRefused("This unlock sent one code: send it as code.")
        check_code(parts, conn, kind, row, code, now)
        return
    if text_code is None:
        raise ChannelRefused("Both codes are needed: the emailed one and the texted one.")
    given = {"": code.strip(), "sms_": text_code.strip()}
    values = row._mapping
    for prefix in given:
        if values[f"{prefix}code_void"]:
            raise CodeVoided()
    for prefix in given:
        if values[f"{prefix}code_hash"] is None or values[f"{prefix}code_expires_at"] <= now:
            raise CodeLapsed()
    right = {
        prefix: parts.fingerprint.matches(
            values[f"{prefix}code_hash"], "code", unlocks.name, row.id + prefix, value
        )
        for prefix, value in given.items()
    }
    if all(right.values()):
        flows.change(conn, unlocks, row.id, code_hash=None, sms_code_hash=None)
        return
    changes: dict[str, Any] = {}
    lefts = []
    for prefix, ok in right.items():
        if not ok:
            left = values[f"{prefix}code_tries_left"] - 1
            lefts.append(left)
            changes |= {f"{prefix}code_tries_left": left, f"{prefix}code_void": left <= 0}
    flows.change(conn, unlocks, row.id, **changes)
    # Each wrong code also counts against the holder's bound (code_guesses.py).
    for _wrong in lefts:
        paused_until = count_wrong_code(parts, conn, row.uuid, now)
        if paused_until is not None:
            raise HolderPaused(retry_after=max(1, math.ceil(paused_until - now)))
    if min(lefts) <= 0:
        raise CodeVoided("Three wrong codes: this code no longer works.")
    wrong = [("email" if prefix == "" else "sms") for prefix, ok in right.items() if not ok]
    raise CodeRejected(tries_left=min(lefts), wrong_codes=wrong)
