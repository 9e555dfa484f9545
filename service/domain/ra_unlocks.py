"""Assisted unlocks: the RA vouches for the holder; the card takes the usual cryptogram.

No questions and no code: the RA confirms the holder stands at the desk and
matches the card's photo. The holder types the new passcode on the kiosk, which
writes it to the card with RESET RETRY COUNTER and the cryptogram from here, as a
self-service unlock does (design.md section 3). The RA never sees the passcode and
the service never receives it.

A cryptogram is issued only in a live RA session. The card's result is taken even
after the session ended (the RA card pulled mid-write): once the card may have
taken the cryptogram, recording the unlock and notifying the holder must not be
left half done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from contract.ra_wire import AssistedUnlockIn, AssistedUnlockOut
from contract.wire import CryptogramOut, Empty
from service.domain.audit import record, refuse
from service.domain.card_proofs import cryptogram_for
from service.domain.errors import CryptogramLimitReached, StepOutOfOrder, UnlockLapsed
from service.domain.parts import Kiosk, Parts
from service.domain.ra_actions import bound_holder, prove_holder_card
from service.domain.ra_errors import HolderCardMissing, UnknownAssistedUnlock
from service.domain.ra_sessions import live_session, ra_who, require_desk
from service.domain.times import human_time, rfc3339
from service.mailing import Pass
from service.queries import holders, ra_sessions
from service.secrecy import new_id

WINDOW = 15 * 60.0
"""How long an assisted unlock waits for the card (as an accepted unlock code's window)."""
MAX_CRYPTOGRAMS = 5


def start(
    parts: Parts, kiosk: Kiosk, session_id: str, request: AssistedUnlockIn
) -> AssistedUnlockOut:
    """POST /v1/ra/sessions/{id}/unlocks: the holder's card proved again, the RA's word given.

    Raises:
        HolderCardMissing: no holder's card in this session, or another card than it.
        OwnCard, CardNotProven: as for the holder's card.
    """
    now = parts.now()
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        bound = bound_holder(conn, session)
        holder = prove_holder_card(parts, conn, kiosk, session, request, "ra_unlock_start")
        if holder.uuid != bound.uuid:
            raise HolderCardMissing("This is not the card of the holder on screen.")
        unlock_id = new_id()
        ra_sessions.add_unlock(
            conn,
            id=unlock_id,
            session_id=session_id,
            uuid=holder.uuid,
            serial=holder.serial,
            created_at=now,
            expires_at=now + WINDOW,
            cryptograms=0,
        )
        record(
            parts,
            conn,
            "ra_unlock_start",
            "ok",
            **ra_who(kiosk, session),
            uuid=holder.uuid,
            serial=holder.serial,
            assisted_unlock_id=unlock_id,
            holder_present=True,
            photo_matches=True,
        )
    return AssistedUnlockOut(assisted_unlock_id=unlock_id, expires_at=rfc3339(now + WINDOW))


def _unlock(parts: Parts, conn: Connection, session: Row[Any], unlock_id: str) -> Row[Any]:
    row = ra_sessions.find_unlock(conn, unlock_id, for_update=True)
    if row is None or row.session_id != session.id:
        raise UnknownAssistedUnlock()
    if row.closed_at is None and parts.now() >= row.expires_at:
        raise UnlockLapsed("This assisted unlock has expired. Please start again.")
    return row


def cryptogram(
    parts: Parts, kiosk: Kiosk, session_id: str, unlock_id: str, challenge: str
) -> CryptogramOut:
    """POST .../unlocks/{uid}/cryptogram: the unblock cryptogram, in a live session only."""
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        row = _unlock(parts, conn, session, unlock_id)
        who = {**ra_who(kiosk, session), "uuid": row.uuid, "serial": row.serial}
        if row.closed_at is not None:
            raise StepOutOfOrder("This assisted unlock is closed.")
        if row.cryptograms >= MAX_CRYPTOGRAMS:
            refuse(parts, conn, "ra_unlock_cryptogram", CryptogramLimitReached(), **who)
        ra_sessions.change_unlock(conn, unlock_id, cryptograms=row.cryptograms + 1)
        record(parts, conn, "ra_unlock_cryptogram", "ok", **who, count=row.cryptograms + 1)
    return CryptogramOut(cryptogram=cryptogram_for(parts, row.serial, challenge))


def replay_cryptogram(
    parts: Parts, kiosk: Kiosk, session_id: str, unlock_id: str, challenge: str
) -> CryptogramOut:
    """The answer to a repeated cryptogram request, recomputed (never stored)."""
    require_desk(kiosk)
    with parts.engine.connect() as conn:
        session = ra_sessions.find(conn, session_id)
        row = ra_sessions.find_unlock(conn, unlock_id)
    if (
        session is None
        or session.kiosk_id != kiosk.id
        or row is None
        or row.session_id != session_id
    ):
        raise UnknownAssistedUnlock()
    return CryptogramOut(cryptogram=cryptogram_for(parts, row.serial, challenge))


def report_result(
    parts: Parts, kiosk: Kiosk, session_id: str, unlock_id: str, outcome: str, status_word: str
) -> Empty:
    """POST .../unlocks/{uid}/result: what the card answered; "unlocked" notifies the holder.

    Taken even when the session has ended since the cryptogram was issued.
    """
    require_desk(kiosk)
    now = parts.now()

    def body(conn: Connection, out: Pass) -> Empty:
        session = ra_sessions.find(conn, session_id)
        if session is None or session.kiosk_id != kiosk.id:
            raise UnknownAssistedUnlock()
        row = _unlock(parts, conn, session, unlock_id)
        if row.closed_at is not None or row.cryptograms == 0:
            raise StepOutOfOrder("No card result is expected now.")
        who = {**ra_who(kiosk, session), "uuid": row.uuid, "serial": row.serial}
        if outcome == "unlocked":
            ra_sessions.change_unlock(conn, unlock_id, closed_at=now)
            holder = holders.get(conn, row.uuid)
            out.send(
                holder.email,
                "unlock-notice",
                name=holder.name,
                kiosk=kiosk.name,
                time=human_time(now),
            )
        record(
            parts,
            conn,
            "ra_unlock_result",
            outcome,
            **who,
            assisted_unlock_id=unlock_id,
            status_word=status_word.upper(),
        )
        return Empty()

    return parts.mailing(body)
