"""Unlocks: prove the card, answer questions, enter the mailed code, get the cryptogram."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any, Literal, NoReturn

from sqlalchemy import Connection, Row

from contract.answers import MAX_FAILED_ANSWERS
from contract.wire import (
    Channel,
    CodeAccepted,
    CodeSent,
    CryptogramOut,
    Empty,
    UnlockIn,
    UnlockOut,
)
from service.domain import channel_notices, policy, unlock_codes
from service.domain.audit import record, refusals_recorded, refuse
from service.domain.card_proofs import cryptogram_for, proven_holder
from service.domain.code_guesses import refuse_if_paused
from service.domain.codes import CODE_TRIES, CODE_TTL, FlowKind, check_resend
from service.domain.errors import (
    AnswersMalformed,
    AnswersRejected,
    CardNotProven,
    ChannelRefused,
    CodeVoided,
    CryptogramLimitReached,
    HolderLocked,
    HolderNotRegistered,
    StepOutOfOrder,
    UnknownUnlock,
    UnlockLapsed,
)
from service.domain.kept_answers import keep
from service.domain.notices import cancel
from service.domain.parts import Kiosk, Parts
from service.domain.times import human_time, rfc3339
from service.mailing import Pass
from service.queries import flows, holder_answers, holders
from service.tables import unlocks

FLOW_TTL = 30 * 60.0
MAX_CRYPTOGRAMS = 5
QUESTIONS_ASKED = 3

UNLOCK = FlowKind("unlock", unlocks, "unlock-code", to_new_address=False, code_step="unlock_code")


def load(parts: Parts, conn: Connection, kiosk: Kiosk, unlock_id: str) -> Row[Any]:
    """The kiosk's unlock, locked for update.

    Raises:
        UnknownUnlock: no such unlock, or another kiosk's.
        UnlockLapsed: past its deadline (the fresh one after code_accepted).
    """
    row = flows.find(conn, unlocks, unlock_id, for_update=True)
    if row is None or row.kiosk_id != kiosk.id:
        raise UnknownUnlock()
    if row.step != "closed":
        deadline = row.accepted_expires_at if row.step == "accepted" else row.expires_at
        if parts.now() >= deadline:
            raise UnlockLapsed()
    return row


def accepted(
    parts: Parts, conn: Connection, kiosk: Kiosk, unlock_id: str, profile: str, refusal: str
) -> tuple[Row[Any], dict[str, Any]]:
    """The kiosk's unlock past its code (accepted) for a card of `profile`, locked for
    update, and whom its audit records are about.

    Raises:
        UnknownUnlock, UnlockLapsed: as `load`.
        StepOutOfOrder: the unlock is at another step or for another kind of card;
            `refusal` says what cannot be done now.
    """
    row = load(parts, conn, kiosk, unlock_id)
    if row.step != "accepted" or row.profile != profile:
        raise StepOutOfOrder(refusal)
    return row, UNLOCK.who(kiosk, row)


def start(parts: Parts, kiosk: Kiosk, request: UnlockIn) -> UnlockOut:
    """POST /v1/unlocks: prove the card; ask questions, offer channels, or send the code(s)."""
    now = parts.now()
    uuid = request.uuid
    who: dict[str, Any] = {"kiosk": kiosk, "uuid": uuid, "serial": request.serial}
    settings = parts.settings

    def body(conn: Connection, out: Pass) -> UnlockOut:
        with refusals_recorded(parts, conn, "unlock_start", **who):
            holder, registered, channels = _allowed_holder(parts, conn, kiosk, request)
            refuse_if_paused(parts, conn, uuid, now)
        unlock_id = out.new_id()
        asked: list[str] = []
        issued: unlock_codes.Issued = []
        step: Literal["answers", "code", "channel"] = "code"
        if policy.asks_questions(settings):
            asked = sorted(secrets.SystemRandom().sample(registered, QUESTIONS_ASKED))
            step = "answers"
        elif settings.policy == "national-2023" and len(channels) > 1:
            step = "channel"
        else:
            issued = unlock_codes.issue(parts, UNLOCK, unlock_id, channels, now, out)
        flows.add(
            conn,
            unlocks,
            id=unlock_id,
            kiosk_id=kiosk.id,
            uuid=uuid,
            serial=request.serial,
            step=step,
            question_ids=json.dumps(asked),
            created_at=now,
            expires_at=now + FLOW_TTL,
            code_tries_left=CODE_TRIES,
            code_void=False,
            resends=0,
            cryptograms=0,
            profile=request.profile,
            puk_releases=0,
            channels=json.dumps(channels),
            **unlock_codes.columns(issued, out.unsent),
        )
        sent = unlock_codes.send(out, holder, issued) if issued else None
        record(
            parts,
            conn,
            "unlock_start",
            "ok",
            unlock_id=unlock_id,
            next=step,
            **who,
            **_not_sent(out),
        )
        started = UnlockOut(
            unlock_id=unlock_id,
            next=step,
            questions=parts.catalogue.asked(asked),
            attempts_left=MAX_FAILED_ANSWERS - holder.failed_attempts,
            expires_at=rfc3339(now + FLOW_TTL),
            code_sent_to=sent.code_sent_to if sent else None,
            text_sent_to=sent.text_sent_to if sent else None,
            not_sent=sent.not_sent if sent else None,
            channels=policy.options(holder, channels) if step == "channel" else None,
            policy=settings.policy,
        )
        keep(conn, started)
        return started

    # Two codes: one that went is kept when the other's channel fails (a resend sends it).
    return parts.mailing(body, partial=True)


def _allowed_holder(
    parts: Parts, conn: Connection, kiosk: Kiosk, request: UnlockIn
) -> tuple[Row[Any], list[str], list[Channel]]:
    """The holder who proved the card and may unlock under the policy.

    Returns:
        The holder, their registered question ids, and the channels the code(s) go
        to: email under questions, both under two-channel, those on record under
        national-2023 (the holder chooses when there are two).
    """
    settings = parts.settings
    if policy.asks_questions(settings):
        holder, registered = _registered_holder(parts, conn, kiosk, request)
    else:
        # No registration step: the holder directory's details are enough.
        proven = proven_holder(parts, conn, kiosk, request, "card_auth")
        if proven is None:
            raise CardNotProven()
        if proven.locked_at is not None:
            raise HolderLocked()
        holder, registered = proven, []
    on_record = policy.channels_on_record(settings, holder)
    if settings.policy == "questions":
        channels: list[Channel] = ["email"]
    elif settings.policy == "two-channel":
        if on_record != ["email", "sms"]:
            raise HolderNotRegistered("Two codes need an email address and a mobile on record.")
        channels = on_record
    else:
        if not on_record:
            raise HolderNotRegistered("No email address or mobile on record.")
        channels = on_record
    return holder, registered, channels


def _registered_holder(
    parts: Parts, conn: Connection, kiosk: Kiosk, request: UnlockIn
) -> tuple[Row[Any], list[str]]:
    """The holder who proved the card, registered and not locked; their question ids."""
    holder = proven_holder(parts, conn, kiosk, request, "card_auth")
    if holder is None:
        raise CardNotProven()
    registered = holder_answers.question_ids(conn, request.uuid)
    if not holder.registered or len(registered) < QUESTIONS_ASKED:
        raise HolderNotRegistered()
    if holder.locked_at is not None:
        raise HolderLocked()
    return holder, registered


def answer(parts: Parts, kiosk: Kiosk, unlock_id: str, answers: Mapping[str, str]) -> CodeSent:
    """POST /v1/unlocks/{id}/answers: right answers mail the code; wrong ones count."""
    with parts.transaction() as conn:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        if row.step != "answers":
            raise StepOutOfOrder("Answers are not expected now.")
        holder = holders.get(conn, row.uuid)
        if holder.locked_at is not None:
            refuse(parts, conn, "unlock_answers", HolderLocked(), **who)
        with refusals_recorded(parts, conn, "unlock_answers", **who):
            refuse_if_paused(parts, conn, row.uuid, parts.now())
        asked = json.loads(row.question_ids)
        if sorted(answers) != sorted(asked):
            invalid = AnswersMalformed(f"Answer exactly the questions asked: {', '.join(asked)}.")
            refuse(parts, conn, "unlock_answers", invalid, **who)
        hashes = holder_answers.hashes(conn, row.uuid)
    # argon2 outside any transaction: it is slow and must not hold the write lock;
    # on the bounded pool, in arrival order (service/domain/answer_checks.py).
    correct = parts.answer_checks.run(
        lambda: all([parts.hasher.verify(hashes[q], answers[q]) for q in asked])
    )
    now = parts.now()

    def body(conn: Connection, out: Pass) -> CodeSent:
        row = load(parts, conn, kiosk, unlock_id)
        if row.step != "answers":
            raise StepOutOfOrder("Answers are not expected now.")
        holder = holders.get(conn, row.uuid, for_update=True)
        if holder.locked_at is not None:
            raise HolderLocked()
        refuse_if_paused(parts, conn, row.uuid, now)
        if not correct:
            _count_failure(parts, conn, holder, now, who)
        issued = unlock_codes.issue(parts, UNLOCK, unlock_id, policy.stored(row), now, out)
        changes = unlock_codes.columns(issued, out.unsent)
        flows.change(conn, unlocks, unlock_id, step="code", **changes)
        holders.reset_failures(conn, row.uuid)
        result = unlock_codes.send(out, holder, issued)
        record(parts, conn, "unlock_answers", "ok", **who, **_not_sent(out))
        keep(conn, result)
        return result

    return parts.mailing(body, flow=UNLOCK.flow(unlock_id), partial=True)


def _count_failure(
    parts: Parts, conn: Connection, holder: Row[Any], now: float, who: dict[str, Any]
) -> NoReturn:
    """Count a failed answer attempt; the third locks self-service. Always refuses."""
    failed = holder.failed_attempts + 1
    locked = failed >= MAX_FAILED_ANSWERS
    holders.count_failure(conn, holder.uuid, failed, now if locked else None)
    if locked:
        message = "Three failed attempts: self-service is locked. Contact the RA team."
        # locked_now: the RA manager's report counts locks from it (ra_report.py).
        refuse(parts, conn, "unlock_answers", HolderLocked(message), **who, locked_now=True)
    attempts_left = MAX_FAILED_ANSWERS - failed
    wrong = AnswersRejected(attempts_left=attempts_left)
    refuse(parts, conn, "unlock_answers", wrong, **who, attempts_left=attempts_left)


def choose_channel(parts: Parts, kiosk: Kiosk, unlock_id: str, channel: Channel) -> CodeSent:
    """POST /v1/unlocks/{id}/channel: send the code by the channel the holder chose."""
    now = parts.now()

    def body(conn: Connection, out: Pass) -> CodeSent:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        with refusals_recorded(parts, conn, "unlock_channel", **who):
            if row.step != "channel":
                raise StepOutOfOrder("No channel is to be chosen now.")
            if channel not in policy.stored(row):
                raise ChannelRefused()
            refuse_if_paused(parts, conn, row.uuid, now)
        holder = holders.get(conn, row.uuid)
        issued = unlock_codes.issue(parts, UNLOCK, unlock_id, [channel], now, out)
        flows.change(
            conn,
            unlocks,
            unlock_id,
            step="code",
            channels=json.dumps([channel]),
            **unlock_codes.columns(issued),
        )
        result = unlock_codes.send(out, holder, issued)
        record(parts, conn, "unlock_channel", "ok", **who, channel=channel)
        keep(conn, result)
        return result

    return parts.mailing(body, flow=UNLOCK.flow(unlock_id))


def enter_code(
    parts: Parts, kiosk: Kiosk, unlock_id: str, code: str, text_code: str | None = None
) -> CodeAccepted:
    """POST /v1/unlocks/{id}/code: the right code(s) open 15 minutes for the cryptogram."""
    now = parts.now()
    with parts.transaction() as conn:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        if row.step != "code":
            raise StepOutOfOrder("No code is expected now.")
        with refusals_recorded(parts, conn, UNLOCK.code_step, **who):
            refuse_if_paused(parts, conn, row.uuid, now)
            unlock_codes.check(parts, conn, UNLOCK, row, code, text_code, now)
        flows.change(conn, unlocks, unlock_id, step="accepted", accepted_expires_at=now + CODE_TTL)
        record(parts, conn, "unlock_code", "ok", **who)
        accepted = CodeAccepted(status="code_accepted", expires_at=rfc3339(now + CODE_TTL))
        keep(conn, accepted)
    return accepted


def cryptogram(parts: Parts, kiosk: Kiosk, unlock_id: str, challenge: str) -> CryptogramOut:
    """POST /v1/unlocks/{id}/cryptogram: the unblock cryptogram, at most 5 times."""
    with parts.transaction() as conn:
        row, who = accepted(
            parts, conn, kiosk, unlock_id, "own", "No cryptogram can be issued now."
        )
        if row.cryptograms >= MAX_CRYPTOGRAMS:
            refuse(parts, conn, "unlock_cryptogram", CryptogramLimitReached(), **who)
        flows.change(conn, unlocks, unlock_id, cryptograms=row.cryptograms + 1)
        if row.cryptograms == 0:
            owe_attempt_notice(parts, conn, kiosk, row)
        record(parts, conn, "unlock_cryptogram", "ok", **who, count=row.cryptograms + 1)
        keep(conn, None)  # a repeat computes the cryptogram again: it is never stored
    return CryptogramOut(cryptogram=cryptogram_for(parts, row.serial, challenge))


def owe_attempt_notice(parts: Parts, conn: Connection, kiosk: Kiosk, row: Row[Any]) -> None:
    """Owe the holder word of this unlock unless its kiosk reports it unlocked in time.

    A kiosk that took the cryptogram may have unblocked the card and set a passcode
    of its choosing; if it never reports, the holder still hears of it, from the
    notice sweep, `notices.unreported_after` seconds after the first cryptogram. An
    "unlocked" result cancels this notice and sends its own.
    """
    now = parts.now()
    holder = holders.get(conn, row.uuid)
    channel_notices.owe_every_channel(
        parts,
        conn,
        holder,
        "unlock-attempt",
        due_at=now + parts.settings.notices.unreported_after,
        about=_attempt(row.id),
        name=holder.name,
        kiosk=kiosk.name,
        time=human_time(now),
    )


def _attempt(unlock_id: str) -> str:
    return f"unlock-attempt:{unlock_id}"


def replay_cryptogram(parts: Parts, kiosk: Kiosk, unlock_id: str, challenge: str) -> CryptogramOut:
    """The answer to a repeated cryptogram request, recomputed (never stored)."""
    with parts.engine.connect() as conn:
        row = flows.find(conn, unlocks, unlock_id)
    if row is None or row.kiosk_id != kiosk.id:
        raise UnknownUnlock()
    return CryptogramOut(cryptogram=cryptogram_for(parts, row.serial, challenge))


def resend(parts: Parts, kiosk: Kiosk, unlock_id: str) -> CodeSent:
    """POST /v1/unlocks/{id}/resend: new code(s) on the unlock's channel(s).

    When a code is owed (its message failed while the other went), only that one is
    sent: the code that arrived keeps working and keeps its tries, and sending what
    was owed is not counted as one of the 3 resends.
    """
    now = parts.now()

    def body(conn: Connection, out: Pass) -> CodeSent:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        channels = policy.stored(row)
        owed = unlock_codes.owed(row) if row.step == "code" else frozenset()
        with refusals_recorded(parts, conn, "unlock_resend", **who):
            check_resend(parts, conn, row, now, counted=not owed)
            if row.sms_code_void:
                raise CodeVoided()
        issued = unlock_codes.issue(parts, UNLOCK, unlock_id, channels, now, out, only=owed or None)
        columns = unlock_codes.columns(issued, out.unsent)
        # A resend never gives a code back its tries (nor makes a void one work).
        columns.pop("sms_code_tries_left", None)
        columns.pop("sms_code_void", None)
        columns["last_sent_at"] = now
        resends = row.resends if owed else row.resends + 1
        flows.change(conn, unlocks, unlock_id, resends=resends, **columns)
        values = row._mapping
        kept: dict[Channel, float] = {
            channel: float(values[f"{'sms_' if n else ''}code_expires_at"] or now)
            for n, channel in enumerate(channels)
        }
        holder = holders.get(conn, row.uuid)
        result = unlock_codes.send(out, holder, issued, channels, kept)
        record(parts, conn, "unlock_resend", "ok", **who, **_not_sent(out), **_owed(owed))
        keep(conn, result)
        return result

    return parts.mailing(body, flow=UNLOCK.flow(unlock_id), partial=True)


def _owed(owed: frozenset[Channel]) -> dict[str, Any]:
    """The audit detail of a resend that sent only what was owed."""
    return {"owed": ",".join(sorted(owed))} if owed else {}


def _not_sent(out: Pass) -> dict[str, Any]:
    """The audit detail of a step whose message on one channel failed (the other went)."""
    return {"not_sent": ",".join(sorted(out.unsent))} if out.unsent else {}


def report_result(
    parts: Parts, kiosk: Kiosk, unlock_id: str, outcome: str, status_word: str
) -> Empty:
    """POST /v1/unlocks/{id}/result: "unlocked" closes the unlock and mails the notice."""
    now = parts.now()

    def body(conn: Connection, out: Pass) -> Empty:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        if row.step != "accepted" or row.cryptograms + row.puk_releases == 0:
            raise StepOutOfOrder("No card result is expected now.")
        if outcome == "unlocked":
            flows.change(conn, unlocks, unlock_id, step="closed", closed_at=now)
            cancel(conn, _attempt(unlock_id))  # told by the notice below instead
            holder = holders.get(conn, row.uuid)
            channel_notices.tell_every_channel(
                parts, out, holder, "unlock-notice", kiosk=kiosk.name, time=human_time(now)
            )
        record(parts, conn, "unlock_result", outcome, **who, status_word=status_word.upper())
        keep(conn, Empty())
        return Empty()

    return parts.mailing(body, flow=UNLOCK.flow(unlock_id))
