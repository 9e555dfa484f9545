"""What an RA does at the desk with a holder's card in the reader (docs/api.md "The RA desk").

The kiosk proves the holder's card (its card key, which a blocked card still uses)
and the session remembers whose card it is; each action then acts on that holder
only. Every action is audited with the RA's identity and the holder's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from contract.ra_wire import ContactsIn, HolderEvent, HolderStateOut
from contract.wire import CardProofIn
from service.domain import holder_facts
from service.domain.audit import record, refusals_recorded
from service.domain.card_proofs import proven_holder
from service.domain.errors import CardNotProven, EmailDomainRefused, MobileMalformed
from service.domain.parts import Kiosk, Parts
from service.domain.ra_errors import HolderCardMissing, OwnCard
from service.domain.ra_sessions import live_session, ra_who
from service.domain.times import human_time
from service.mailing import Mail
from service.queries import audit, holders, ra_sessions
from service.secrecy import email_domain_approved, normalise_mobile

CONTACT_NOTICE = "contact-change-notice"


def _contact_text_possible(parts: Parts) -> bool:
    """Whether the RA desk's contact-change notice can go by text on this deployment."""
    settings = parts.settings
    if not settings.texts_possible:
        return False
    return settings.mail_channel != "notify" or bool(settings.notify.contact_change_sms)


def prove_holder_card(
    parts: Parts, conn: Connection, kiosk: Kiosk, session: Row[Any], proof: CardProofIn, kind: str
) -> Row[Any]:
    """The holder whose card proves itself in this RA session (never the RA's own card).

    Raises:
        OwnCard: the card is the signed-in RA's own.
        CardNotProven: the card proof does not hold.
    """
    who = {**ra_who(kiosk, session), "uuid": proof.uuid, "serial": proof.serial}
    with refusals_recorded(parts, conn, kind, **who):
        if proof.uuid == session.ra_uuid or proof.serial == session.ra_serial:
            raise OwnCard()
        holder = proven_holder(parts, conn, kiosk, proof, "card_auth")
        if holder is None:
            raise CardNotProven()
    return holder


def take_holder_card(
    parts: Parts, kiosk: Kiosk, session_id: str, proof: CardProofIn
) -> HolderStateOut:
    """POST /v1/ra/sessions/{id}/holder: the holder's card is in; what the RA may see."""
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        holder = prove_holder_card(parts, conn, kiosk, session, proof, "ra_holder_card")
        ra_sessions.change(conn, session_id, holder_uuid=holder.uuid, holder_serial=holder.serial)
        record(
            parts,
            conn,
            "ra_holder_card",
            "ok",
            **ra_who(kiosk, session),
            uuid=holder.uuid,
            serial=holder.serial,
        )
        return _state(parts, conn, holder.uuid)


def bound_holder(conn: Connection, session: Row[Any], *, for_update: bool = False) -> Row[Any]:
    """The holder whose card was proved in this session.

    Raises:
        HolderCardMissing: no holder's card was proved in it yet.
    """
    if session.holder_uuid is None:
        raise HolderCardMissing()
    return holders.get(conn, session.holder_uuid, for_update=for_update)


def holder_state(parts: Parts, kiosk: Kiosk, session_id: str) -> HolderStateOut:
    """GET /v1/ra/sessions/{id}/holder: the holder's self-service state, read again."""
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        holder = bound_holder(conn, session)
        return _state(parts, conn, holder.uuid)


def clear_lock(parts: Parts, kiosk: Kiosk, session_id: str) -> HolderStateOut:
    """POST /v1/ra/sessions/{id}/clear-lock: the holder's self-service lock and count go."""
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        holder = bound_holder(conn, session, for_update=True)
        holders.clear_lock(conn, holder.uuid)
        record(
            parts,
            conn,
            "ra_clear_lock",
            "ok",
            **ra_who(kiosk, session),
            uuid=holder.uuid,
            serial=holder.serial,
            was_locked=holder.locked_at is not None,
            failed_attempts_were=holder.failed_attempts,
        )
        return _state(parts, conn, holder.uuid)


def change_contacts(
    parts: Parts, kiosk: Kiosk, session_id: str, given: ContactsIn
) -> HolderStateOut:
    """POST /v1/ra/sessions/{id}/contacts: record or correct the holder's email and mobile.

    The notice goes to the old and the new address before anything is written; if
    either cannot be sent, nothing changes (503 mail_unavailable). A notice sent for a
    change that another request then overtook is the lesser harm than a silent change.

    Raises:
        EmailDomainRefused, MobileMalformed: bad input; nothing changes, nothing is sent.
    """
    now = parts.now()
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        holder = bound_holder(conn, session)
        who = {**ra_who(kiosk, session), "uuid": holder.uuid, "serial": holder.serial}
        with refusals_recorded(parts, conn, "ra_holder_contacts", **who):
            email, mobile = _checked_contacts(parts, given)
    notice = {"name": holder.name, "kiosk": kiosk.name, "time": human_time(now)}
    for address in dict.fromkeys([holder.email, email]):
        parts.send(Mail(address, CONTACT_NOTICE, tuple(sorted(notice.items()))))
    # And by text to the old and the new mobile, where this notice can go by text.
    for number in dict.fromkeys(n for n in (holder.mobile, mobile) if n):
        if _contact_text_possible(parts):
            parts.send(Mail(number, CONTACT_NOTICE, tuple(sorted(notice.items())), "sms"))
    with parts.transaction() as conn:
        session = live_session(parts, conn, kiosk, session_id)
        holder = bound_holder(conn, session, for_update=True)
        holders.set_contacts(conn, holder.uuid, email=email, mobile=mobile)
        changed = [
            name
            for name, old, new in (
                ("email", holder.email, email),
                ("mobile", holder.mobile, mobile),
            )
            if old != new
        ]
        record(parts, conn, "ra_holder_contacts", "ok", **who, changed=changed)
        return _state(parts, conn, holder.uuid)


def _checked_contacts(parts: Parts, given: ContactsIn) -> tuple[str, str]:
    email = given.email.strip()
    if not email_domain_approved(email, parts.settings.approved_domains):
        raise EmailDomainRefused(approved_domains=list(parts.settings.approved_domains))
    mobile = normalise_mobile(given.mobile)
    if mobile is None:
        raise MobileMalformed()
    return email, mobile


def _state(parts: Parts, conn: Connection, uuid: str) -> HolderStateOut:
    row = holders.get(conn, uuid)
    recent = audit.about_holder(conn, uuid, parts.settings.ra.recent_events)
    return HolderStateOut(
        **holder_facts.registration(row),
        **holder_facts.lock(row),
        recent_events=[
            HolderEvent(at=r.at, type=r.type, outcome=r.outcome, kiosk=r.kiosk) for r in recent
        ],
    )
