"""Registrations: prove the card with the holder key, give details and answers, confirm a code.

A new registration replaces the holder's old one only when confirmed, and
confirming never clears a self-service lock: only the RA does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row

from contract.answers import ANSWER_MAX, ANSWER_MIN, QUESTIONS_TO_CHOOSE
from contract.wire import CodeSent, Registered, RegistrationIn, RegistrationOut
from service.domain import channel_notices
from service.domain.audit import record, refusals_recorded
from service.domain.card_proofs import proven_holder
from service.domain.code_guesses import refuse_if_paused
from service.domain.codes import (
    CODE_TRIES,
    FlowKind,
    issue_code,
    resend_code,
    send_code,
    take_code,
)
from service.domain.errors import (
    AnswersMalformed,
    EmailDomainRefused,
    HolderNotProven,
    MobileMalformed,
    RegistrationLapsed,
    StepOutOfOrder,
    TermsChanged,
    UnknownRegistration,
)
from service.domain.kept_answers import keep
from service.domain.parts import Kiosk, Parts
from service.domain.times import human_time, rfc3339
from service.mailing import Pass
from service.queries import flows, holder_answers, holders, registration_answers
from service.secrecy import (
    email_domain_approved,
    mask_email,
    new_id,
    normalise_answer,
    normalise_mobile,
)
from service.tables import registrations

FLOW_TTL = 30 * 60.0

REGISTRATION = FlowKind(
    "registration",
    registrations,
    "registration-code",
    to_new_address=True,
    code_step="registration_confirm",
)


def load(parts: Parts, conn: Connection, kiosk: Kiosk, registration_id: str) -> Row[Any]:
    """The kiosk's registration, locked for update.

    Raises:
        UnknownRegistration: no such registration, or another kiosk's.
        RegistrationLapsed: past its deadline and not registered.
    """
    row = flows.find(conn, registrations, registration_id, for_update=True)
    if row is None or row.kiosk_id != kiosk.id:
        raise UnknownRegistration()
    if row.step != "registered" and parts.now() >= row.expires_at:
        raise RegistrationLapsed()
    return row


def start(parts: Parts, kiosk: Kiosk, request: RegistrationIn) -> RegistrationOut:
    """POST /v1/registrations: prove the card and check the holder's new details."""
    now = parts.now()
    who: dict[str, Any] = {"kiosk": kiosk, "uuid": request.uuid, "serial": request.serial}
    with parts.transaction() as conn:
        with refusals_recorded(parts, conn, "registration_start", **who):
            mobile = _checked_details(parts, conn, kiosk, request)
        registration_id = new_id()
        flows.add(
            conn,
            registrations,
            id=registration_id,
            kiosk_id=kiosk.id,
            uuid=request.uuid,
            serial=request.serial,
            email=request.email.strip(),
            mobile=mobile,
            terms_version=request.terms_version,
            step="answers",
            created_at=now,
            expires_at=now + FLOW_TTL,
            code_tries_left=CODE_TRIES,
            code_void=False,
            resends=0,
        )
        record(
            parts,
            conn,
            "registration_start",
            "ok",
            **who,
            registration_id=registration_id,
            terms_version=request.terms_version,
        )
        started = RegistrationOut(
            registration_id=registration_id, expires_at=rfc3339(now + FLOW_TTL)
        )
        keep(conn, started)
    return started


def _checked_details(parts: Parts, conn: Connection, kiosk: Kiosk, request: RegistrationIn) -> str:
    """The normalised mobile, once the proof, email, mobile and terms are checked in that order."""
    holder = proven_holder(parts, conn, kiosk, request, "holder_auth")
    if holder is None:
        raise HolderNotProven()
    refuse_if_paused(parts, conn, request.uuid, parts.now())
    mobile = normalise_mobile(request.mobile)
    if not email_domain_approved(request.email, parts.settings.approved_domains):
        raise EmailDomainRefused(approved_domains=list(parts.settings.approved_domains))
    if mobile is None:
        raise MobileMalformed()
    if request.terms_version != parts.terms_version:
        raise TermsChanged(terms_version=parts.terms_version)
    return mobile


def _validate_new_answers(parts: Parts, answers: Mapping[str, str]) -> None:
    if len(answers) != QUESTIONS_TO_CHOOSE:
        raise AnswersMalformed("Answer exactly 4 different questions.")
    unknown = [q for q in answers if q not in parts.catalogue.questions]
    if unknown:
        raise AnswersMalformed(f"Unknown question ids: {', '.join(unknown)}.")
    for question_id, answer in answers.items():
        size = len(normalise_answer(answer))
        if not ANSWER_MIN <= size <= ANSWER_MAX:
            raise AnswersMalformed(
                f"The answer to {question_id} must be {ANSWER_MIN} to {ANSWER_MAX} characters."
            )


def set_answers(
    parts: Parts, kiosk: Kiosk, registration_id: str, answers: Mapping[str, str]
) -> CodeSent:
    """PUT /v1/registrations/{id}/answers: keep the answers' hashes, mail the code."""
    with parts.transaction() as conn:
        row = load(parts, conn, kiosk, registration_id)
        if row.step != "answers":
            raise StepOutOfOrder("Answers were already accepted.")
        _validate_new_answers(parts, answers)
    # argon2 outside any transaction: it is slow and must not hold the write lock;
    # on the bounded pool, in arrival order (service/domain/answer_checks.py).
    hashed = parts.answer_checks.run(lambda: {q: parts.hasher.hash(a) for q, a in answers.items()})
    now = parts.now()

    def body(conn: Connection, out: Pass) -> CodeSent:
        row = load(parts, conn, kiosk, registration_id)
        who = REGISTRATION.who(kiosk, row)
        if row.step != "answers":
            raise StepOutOfOrder("Answers were already accepted.")
        registration_answers.add(conn, registration_id, hashed)
        issued = issue_code(parts, REGISTRATION, registration_id, now, out)
        flows.change(conn, registrations, registration_id, step="code", **issued.columns)
        holder = holders.get(conn, row.uuid)
        result = send_code(out, REGISTRATION, row, holder, issued)
        record(parts, conn, "registration_answers", "ok", **who, question_ids=sorted(answers))
        keep(conn, result)
        return result

    return parts.mailing(body, flow=REGISTRATION.flow(registration_id))


def confirm(parts: Parts, kiosk: Kiosk, registration_id: str, code: str) -> Registered:
    """POST /v1/registrations/{id}/confirm: the right code makes the new details the holder's."""
    now = parts.now()
    with parts.transaction() as conn:
        row = load(parts, conn, kiosk, registration_id)
        who = take_code(parts, conn, kiosk, REGISTRATION, row, code, now)
        flows.change(conn, registrations, registration_id, step="registered")
        _tell_old_address(parts, conn, kiosk, row, now)
        # The new answers replace the old ones only now; a lock stays for the RA.
        holders.register(
            conn,
            row.uuid,
            email=row.email,
            mobile=row.mobile,
            terms_version=row.terms_version,
            at=now,
        )
        holder_answers.replace(conn, row.uuid, registration_answers.take(conn, registration_id))
        record(parts, conn, "registration_confirm", "ok", **who)
        done = Registered(status="registered", policy=parts.settings.policy)
        keep(conn, done)
    return done


def _tell_old_address(
    parts: Parts, conn: Connection, kiosk: Kiosk, row: Row[Any], now: float
) -> None:
    """A registration moving codes and notices to a new address is told to the old one.

    Whoever holds the card and its passcode can re-register; the holder hears of
    it at the address it replaces, so a takeover cannot pass unseen (a notice owed
    in this transaction, sent by the sweep: no kiosk can stop it).
    """
    holder = holders.get(conn, row.uuid)
    same_email = holder.email.strip().casefold() == row.email.casefold()
    same_mobile = "".join(holder.mobile.split()) == "".join(row.mobile.split())
    if not holder.registered or (same_email and same_mobile):
        return
    # Told on every channel on record: the old email, and the old mobile by text.
    channel_notices.owe_every_channel(
        parts,
        conn,
        holder,
        "contact-changed",
        due_at=now,
        name=holder.name,
        new_address=mask_email(row.email),
        kiosk=kiosk.name,
        time=human_time(now),
    )


def resend(parts: Parts, kiosk: Kiosk, registration_id: str) -> CodeSent:
    """POST /v1/registrations/{id}/resend."""
    return resend_code(
        parts,
        kiosk,
        REGISTRATION,
        registration_id,
        lambda conn: load(parts, conn, kiosk, registration_id),
    )
