"""Wrong codes bounded per holder, across unlocks, registrations and kiosks.

Each code dies after 3 wrong tries, but a new unlock brings a new code: chaining
unlocks (the card in hand, questions off or known) once gave an attacker about
130 guesses a minute at 8-digit codes, with the holder's count never moving.
So every wrong code is also counted against the holder, in the store, over a
rolling window (`code_guesses.window`, 24 h); the one that reaches
`code_guesses.per_holder` (10) pauses self-service for that holder until enough
of them age out, and the holder is mailed at once (a notice owed in the same
transaction, service/domain/notices.py). While paused, unlocks and registrations
do not start, answers and resends are refused and no code is taken: 423
`self_service_paused` with `retry_after`. Unlike the answers' lock it lifts by
itself; the RA team can also lift it (`ra clear-lock`).
"""

from __future__ import annotations

import math

from sqlalchemy import Connection

from service.domain.errors import HolderPaused
from service.domain.parts import Parts
from service.domain.times import human_time
from service.queries import code_guesses, holders


def paused_until(parts: Parts, conn: Connection, uuid: str, now: float) -> float | None:
    """When the holder's pause ends, or None when self-service is not paused."""
    bound = parts.settings.code_guesses.per_holder
    window = parts.settings.code_guesses.window
    times = code_guesses.since(conn, uuid, now - window)
    if len(times) < bound:
        return None
    # Paused until all but bound - 1 of them have aged out.
    return times[len(times) - bound] + window


def refuse_if_paused(parts: Parts, conn: Connection, uuid: str, now: float) -> None:
    """Refuse a step for a holder whose self-service is paused.

    Raises:
        HolderPaused: paused, with the seconds until it lifts.
    """
    until = paused_until(parts, conn, uuid, now)
    if until is not None:
        raise HolderPaused(retry_after=max(1, math.ceil(until - now)))


def count_wrong_code(parts: Parts, conn: Connection, uuid: str, now: float) -> float | None:
    """Count a wrong code against the holder; when this one paused self-service, until when.

    The holder's row is locked first, so concurrent wrong codes (several unlocks at
    once) are counted one after another and exactly one of them starts the pause
    and owes the notice.
    """
    holder = holders.get(conn, uuid, for_update=True)
    window = parts.settings.code_guesses.window
    code_guesses.forget_before(conn, uuid, now - window)
    was_paused = paused_until(parts, conn, uuid, now) is not None
    code_guesses.add(conn, uuid, now)
    until = paused_until(parts, conn, uuid, now)
    if until is None or was_paused:
        return None
    # Imported here: channel_notices -> policy -> codes, which imports this module.
    from service.domain.channel_notices import owe_every_channel

    # On every channel on record: email, and a text where this notice can go by text.
    owe_every_channel(
        parts,
        conn,
        holder,
        "self-service-paused",
        due_at=now,
        name=holder.name,
        until=human_time(until),
    )
    return until


def clear(conn: Connection, uuid: str) -> None:
    """Forget the holder's wrong codes (the RA lifts the pause)."""
    code_guesses.forget_before(conn, uuid, math.inf)
