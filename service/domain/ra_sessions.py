"""RA sessions: an RA signs in at an RA desk with their own card (docs/api.md "The RA desk").

The session lives in the store, bound to the kiosk and the RA's card: it ends when
the kiosk says the card left (sign-out), after `ra.idle_seconds` without a call,
`ra.max_seconds` after sign-in, when another RA signs in at the same desk, or when
the RA loses their role. Every step is audited with the RA's identity.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from contract.ra_wire import RaSessionOut
from contract.wire import CardProofIn
from service.domain.audit import record, refusals_recorded
from service.domain.card_proofs import proven_holder
from service.domain.errors import HolderNotProven
from service.domain.parts import Kiosk, Parts
from service.domain.ra_errors import NotAnRa, NotAnRaDesk, RaSessionEnded
from service.domain.times import rfc3339
from service.queries import holders, ra_sessions
from service.secrecy import new_id


def require_desk(kiosk: Kiosk) -> None:
    """Refuse a kiosk that is not an RA desk.

    Raises:
        NotAnRaDesk: it was not added with `--ra-desk`.
    """
    if not kiosk.ra_desk:
        raise NotAnRaDesk()


def ra_who(kiosk: Kiosk, session: Row[Any]) -> dict[str, Any]:
    """The audit's who for a step in this session: the kiosk and the RA (never a secret)."""
    return {
        "kiosk": kiosk,
        "source": "ra",
        "ra_uuid": session.ra_uuid,
        "ra_serial": session.ra_serial,
        "session_id": session.id,
    }


def sign_in(parts: Parts, kiosk: Kiosk, proof: CardProofIn) -> RaSessionOut:
    """POST /v1/ra/sessions: the RA's card proves them (holder key: passcode verified).

    Raises:
        NotAnRaDesk, HolderNotProven, NotAnRa: checked in that order.
    """
    now = parts.now()
    settings = parts.settings.ra
    who: dict[str, Any] = {
        "kiosk": kiosk,
        "source": "ra",
        "uuid": proof.uuid,
        "serial": proof.serial,
    }
    with parts.transaction() as conn:
        with refusals_recorded(parts, conn, "ra_sign_in", **who):
            require_desk(kiosk)
            holder = proven_holder(parts, conn, kiosk, proof, "holder_auth")
            if holder is None:
                raise HolderNotProven()
            if holder.ra_role is None:
                raise NotAnRa()
        # A desk holds one RA at a time: a new sign-in ends any session left open.
        for old in ra_sessions.end_open_at_kiosk(conn, kiosk.id, now, "replaced"):
            record(parts, conn, "ra_sign_out", "replaced", kiosk=kiosk, source="ra", session_id=old)
        session_id = new_id()
        ra_sessions.add(
            conn,
            id=session_id,
            kiosk_id=kiosk.id,
            ra_uuid=holder.uuid,
            ra_serial=holder.serial,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.max_seconds,
        )
        record(parts, conn, "ra_sign_in", "ok", **who, session_id=session_id, role=holder.ra_role)
    return RaSessionOut(
        session_id=session_id,
        ra_uuid=holder.uuid,
        ra_name=holder.name,
        role=holder.ra_role,
        idle_seconds=settings.idle_seconds,
        expires_at=rfc3339(now + settings.max_seconds),
    )


def live_session(parts: Parts, conn: Connection, kiosk: Kiosk, session_id: str) -> Row[Any]:
    """The kiosk's open RA session (locked for update), its idle time started again.

    A session found past its idle time or maximum age, or whose RA lost the role,
    is ended here (and the end kept: the refusal commits).

    Raises:
        NotAnRaDesk: the kiosk is not an RA desk.
        RaSessionEnded: no such open session at this kiosk.
    """
    require_desk(kiosk)
    now = parts.now()
    session = ra_sessions.find(conn, session_id, for_update=True)
    if session is None or session.kiosk_id != kiosk.id or session.ended_at is not None:
        raise RaSessionEnded()
    why = None
    if now >= session.expires_at:
        why = "expired"
    elif now >= session.last_seen_at + parts.settings.ra.idle_seconds:
        why = "idle"
    else:
        ra = holders.find(conn, session.ra_uuid)
        if ra is None or ra.ra_role is None:
            why = "role_revoked"
    if why is not None:
        ra_sessions.change(conn, session_id, ended_at=now, ended_why=why)
        record(parts, conn, "ra_sign_out", why, **ra_who(kiosk, session), uuid=session.ra_uuid)
        raise RaSessionEnded()
    ra_sessions.change(conn, session_id, last_seen_at=now)
    return session


def sign_out(parts: Parts, kiosk: Kiosk, session_id: str, reason: str) -> None:
    """POST /v1/ra/sessions/{id}/end: the RA's card left the reader, or they signed out.

    Ending a session that has already ended does nothing and does not refuse, so a
    kiosk may send it again after a lost answer.

    Raises:
        NotAnRaDesk: the kiosk is not an RA desk.
    """
    require_desk(kiosk)
    now = parts.now()
    with parts.transaction() as conn:
        session = ra_sessions.find(conn, session_id, for_update=True)
        if session is None or session.kiosk_id != kiosk.id or session.ended_at is not None:
            return
        ra_sessions.change(conn, session_id, ended_at=now, ended_why=reason)
        record(parts, conn, "ra_sign_out", reason, **ra_who(kiosk, session), uuid=session.ra_uuid)
