"""An unlock's codes under the deployment's policy: one (email or text) or two (both).

The first code lives in the unlock's code columns, whatever its channel; under
two-channel the texted code lives in the `sms_` columns with its own expiry, tries
and void, so each code is counted on its own (docs/api.md "Policies").
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Row

from contract.codes import digits_of, group_code
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
    parts: Parts,
    kind: FlowKind,
    unlock_id: str,
    channels: list[Channel],
    now: float,
    out: Pass,
    only: frozenset[Channel] | None = None,
) -> Issued:
    """A code per channel: the first in the code columns, a second (by text) in `sms_`.

    Args:
        only: issue codes for these of the unlock's channels alone (the ones owed);
            None: for every channel.
    """
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
        if only is None or channel in only
    ]


def columns(issued: Issued, unsent: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The unlock columns that hold the issued codes.

    A code whose message failed (`unsent`, while the other went) is not stored: its
    columns keep what they held (none yet: the code is owed, and a resend sends it;
    an earlier code, after a failed resend: that one still works).
    """
    merged: dict[str, Any] = {}
    for channel, one in issued:
        held = one.columns
        if channel in unsent:
            held = {
                name: value
                for name, value in held.items()
                if name not in (f"{one.prefix}code_hash", f"{one.prefix}code_expires_at")
            }
        merged |= held
    return merged


def owed(row: Row[Any]) -> frozenset[Channel]:
    """The unlock's channels whose code never went (no code stored, none ever sent)."""
    values = row._mapping
    return frozenset(
        channel
        for n, channel in enumerate(stored(row))
        if values[f"{'sms_' if n else ''}code_hash"] is None
        and values[f"{'sms_' if n else ''}code_expires_at"] is None
    )


def send(
    out: Pass,
    holder: Row[Any],
    issued: Issued,
    channels: list[Channel] | None = None,
    kept: dict[Channel, float] | None = None,
) -> CodeSent:
    """Ask for each code's message (email or text); the answer that says where they went.

    Args:
        channels: the unlock's channels in order (default: those issued).
        kept: for a channel whose code was not issued now, when its code expires.
    """
    for channel, one in issued:
        values = {
            "name": holder.name,
            "code": group_code(one.code),
            "expires_at": human_time(one.expires_at),
        }
        if channel == "sms":
            out.text(address(holder, channel), "unlock-code", **values)
        else:
            out.send(address(holder, channel), "unlock-code", **values)
    order = channels or [channel for channel, _one in issued]
    expiries = dict(kept or {}) | {channel: one.expires_at for channel, one in issued}
    first_channel, *rest = order
    sent = CodeSent(
        code_sent_to=masked(holder, first_channel),
        code_expires_at=rfc3339(expiries[first_channel]),
    )
    if rest:
        second_channel = rest[0]
        sent.text_sent_to = masked(holder, second_channel)
        sent.text_expires_at = rfc3339(expiries[second_channel])
    not_sent = [channel for channel in order if channel in out.unsent]
    sent.not_sent = not_sent or None
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
    given = {"": digits_of(code), "sms_": digits_of(text_code)}
    values = row._mapping
    for prefix in given:
        if values[f"{prefix}code_void"]:
            raise CodeVoided()
    for prefix in given:
        if values[f"{prefix}code_hash"] is None and values[f"{prefix}code_expires_at"] is None:
            # Its message failed when the other went: nothing to check it against.
            raise CodeLapsed("That code was never sent: ask for it again (resend).")
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
