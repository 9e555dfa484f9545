"""The rules of self-service (docs/design.md section 4, docs/api.md), on the store.

Every method is blocking (database, argon2, SMTP): the HTTP layer calls them from
worker threads. Every counter, lock, nonce, code and idempotency record lives in
the database, so several instances can serve the same kiosks.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import secrets
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import Table

from card.keys import MasterKeys, aes_cmac
from contract.answers import ANSWER_MAX, ANSWER_MIN, MAX_FAILED_ANSWERS, QUESTIONS_TO_CHOOSE
from service.mailer import SmtpMailer
from service.mailing import Mail, Pass
from service.problems import Problem
from service.secrecy import (
    AnswerHasher,
    Fingerprinter,
    email_domain_approved,
    mask_email,
    new_id,
    normalise_answer,
    normalise_mobile,
    token_hash,
)
from service.settings import ServiceSettings
from service.tables import (
    audit,
    holder_answers,
    holders,
    idempotency,
    kiosks,
    nonces,
    rate_limits,
    registration_answers,
    registrations,
    unlocks,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")

NONCE_TTL = 120.0
FLOW_TTL = 30 * 60.0
CODE_TTL = 15 * 60.0
CODE_TRIES = 3
MAX_RESENDS = 3
RESEND_INTERVAL = 60.0
MAX_CRYPTOGRAMS = 5
IDEMPOTENCY_TTL = 24 * 3600.0
# A "running" idempotency record older than this was left by a crashed instance.
IDEMPOTENCY_STALE = 120.0
QUESTIONS_ASKED = 3
QUESTIONS_REGISTERED = QUESTIONS_TO_CHOOSE

# Keys a kiosk must never send in an audit event's detail; dropped if it does.
_SECRET_WORDS = ("pin", "passcode", "code", "answer", "cryptogram", "token", "mac", "key")


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def human_time(timestamp: float) -> str:
    """Epoch seconds as a time people read in a mail: 22 Nov 2026 16:12 UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y %H:%M UTC")


def rfc3339(timestamp: float) -> str:
    """Epoch seconds as an RFC 3339 UTC string."""
    return (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


class _Planned(Exception):
    """The first run of a mailing body is over: roll it back and send its mail."""


class _Overtaken(Exception):
    """The second run of a mailing body asked for another mail: roll it back."""


@dataclass(frozen=True)
class Kiosk:
    """An authenticated kiosk."""

    id: str
    name: str


@dataclass(frozen=True)
class _Kind:
    """What differs between the unlock and the registration variants of a step."""

    name: str
    """"unlock" or "registration": the audit types' prefix and the id's name."""
    table: Table
    template: str
    """The code mail's template."""
    to_new_address: bool
    """Mail the address being registered (registration), not the holder's own."""


_UNLOCK = _Kind("unlock", unlocks, "unlock-code", to_new_address=False)
_REGISTRATION = _Kind("registration", registrations, "registration-code", to_new_address=True)


def _who(kiosk: Kiosk, row: Row[Any], kind: _Kind) -> dict[str, Any]:
    """Whom an audit record of this flow's step is about."""
    return {"kiosk": kiosk, "uuid": row.uuid, "serial": row.serial, f"{kind.name}_id": row.id}


@dataclass(frozen=True)
class Catalogue:
    """The question catalogue."""

    version: str
    questions: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        """Read config/questions.toml."""
        with open(path, "rb") as f:
            data = tomllib.load(f)
        questions = {str(q["id"]): str(q["text"]) for q in data["questions"]}
        return cls(version=str(data["version"]), questions=questions)


def load_terms_version(path: Path) -> str:
    """The current terms version from config/terms.toml."""
    with open(path, "rb") as f:
        return str(tomllib.load(f)["version"])


class SelfService:
    """Unlocks, registrations, nonces, kiosks and the audit, on one store."""

    def __init__(
        self,
        settings: ServiceSettings,
        engine: Engine,
        masters: MasterKeys,
        mailer: SmtpMailer,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.masters = masters
        self.mailer = mailer
        self.clock = clock
        self.catalogue = Catalogue.load(settings.questions_file)
        self.terms_version = load_terms_version(settings.terms_file)
        self.hasher = AnswerHasher(
            settings.argon2.time_cost, settings.argon2.memory_cost, settings.argon2.parallelism
        )
        self.fingerprint = Fingerprinter(masters)

    # -- plumbing ---------------------------------------------------------------

    def now(self) -> float:
        """Epoch seconds from the injected clock."""
        return self.clock().timestamp()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A transaction that is committed on success and on a Problem.

        A refusal still keeps what was written before it (a counted failure, a
        used nonce, the audit record); any other exception rolls everything back.
        Nothing is mailed inside one: see `_mailing`.
        """
        with self.engine.connect() as conn:
            conn.begin()
            try:
                yield conn
            except Problem:
                conn.commit()
                raise
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _mailing(self, body: Callable[[Connection, Pass], T]) -> T:
        """Run a step that mails so that no transaction is open while it mails.

        See service/mailing.py: `body` runs once and is rolled back, its mail is
        sent, and it runs again with the same draws; only that second run is
        committed, and only if it asks for the same mail. A body that asks for
        no mail (or refuses) is committed on its first run, as `_tx` would.

        Raises:
            MailUnavailable: the mail could not be sent; nothing was written.
            Problem: the body's refusal, on either run; 409 wrong_step when
                another request changed the step while the mail went out.
        """
        first = Pass()
        try:
            with self._tx() as conn:
                result = body(conn, first)
                if first.mail is not None:
                    raise _Planned
        except _Planned:
            pass
        else:
            return result
        assert first.mail is not None
        self._send(first.mail)
        second = Pass(replaying=first)
        try:
            with self._tx() as conn:
                result = body(conn, second)
                if second.mail != first.mail:
                    raise _Overtaken
        except _Overtaken:
            raise Problem(
                409, "wrong_step", "This step was changed by another request; please try again."
            ) from None
        return result

    def _audit(
        self,
        conn: Connection,
        kind: str,
        outcome: str,
        *,
        kiosk: Kiosk | None = None,
        uuid: str | None = None,
        serial: str | None = None,
        source: str = "service",
        **detail: Any,
    ) -> None:
        now = self.now()
        conn.execute(
            insert(audit).values(
                event_id=None,
                at=rfc3339(now),
                recorded_at=now,
                source=source,
                kiosk=kiosk.name if kiosk else None,
                type=kind,
                uuid=uuid,
                serial=serial,
                outcome=outcome,
                detail=json.dumps(detail, sort_keys=True),
            )
        )

    # -- kiosks and throttling ----------------------------------------------------

    def add_kiosk(self, name: str, token: str, *, demo: bool = False) -> str:
        """Register a kiosk by the hash of its token; returns the kiosk id."""
        kiosk_id = new_id()
        with self._tx() as conn:
            conn.execute(
                insert(kiosks).values(
                    id=kiosk_id,
                    name=name,
                    token_hash=token_hash(token),
                    demo=demo,
                    created_at=self.now(),
                )
            )
            self._audit(conn, "kiosk_added", "ok", source="ra", kiosk_name=name)
        return kiosk_id

    def authenticate(self, token: str | None) -> Kiosk:
        """The kiosk holding this bearer token (counted against its throttle).

        Raises:
            Problem: 401 unauthorized; 429 too_many_requests.
        """
        unauthorized = Problem(401, "unauthorized", "A valid kiosk token is required.")
        if not token:
            raise unauthorized
        with self.engine.connect() as conn:
            row = conn.execute(
                select(kiosks).where(kiosks.c.token_hash == token_hash(token))
            ).first()
        if row is None or (row.demo and not self.settings.demo):
            raise unauthorized
        kiosk = Kiosk(id=row.id, name=row.name)
        self.throttle(f"kiosk:{kiosk.id}", self.settings.throttle.per_kiosk)
        return kiosk

    def throttle(self, bucket: str, limit: int) -> None:
        """Count one request in bucket's current minute.

        Raises:
            Problem: 429 too_many_requests + retry_after when over limit.
        """
        now = self.now()
        window = int(now // 60)
        where = (rate_limits.c.bucket == bucket) & (rate_limits.c.window == window)
        for _attempt in range(3):
            try:
                with self._tx() as conn:
                    count = conn.execute(
                        select(rate_limits.c.count).where(where).with_for_update()
                    ).scalar()
                    if count is None:
                        count = 1
                        conn.execute(
                            insert(rate_limits).values(bucket=bucket, window=window, count=1)
                        )
                    else:
                        count += 1
                        conn.execute(update(rate_limits).where(where).values(count=count))
                break
            except IntegrityError:
                # Another instance opened this window first (PostgreSQL cannot lock a
                # row that does not exist yet): count again on its row.
                continue
        else:
            raise RuntimeError(f"could not count requests for {bucket}")
        if count > limit:
            retry_after = max(1, math.ceil((window + 1) * 60 - now))
            raise Problem(
                429,
                "too_many_requests",
                "Too many requests; try again later.",
                retry_after=retry_after,
            )

    # -- questions and nonces -----------------------------------------------------

    def new_nonce(self, kiosk: Kiosk) -> tuple[str, float]:
        """A fresh single-use nonce bound to kiosk, and when it expires."""
        now = self.now()
        nonce = secrets.token_hex(16)
        with self._tx() as conn:
            conn.execute(
                insert(nonces).values(
                    nonce=nonce, kiosk_id=kiosk.id, expires_at=now + NONCE_TTL, used=False
                )
            )
            self._housekeeping(conn, now)
        return nonce, now + NONCE_TTL

    def _housekeeping(self, conn: Connection, now: float) -> None:
        conn.execute(delete(nonces).where(nonces.c.expires_at < now - 3600))
        conn.execute(delete(rate_limits).where(rate_limits.c.window < int(now // 60) - 5))
        conn.execute(delete(idempotency).where(idempotency.c.created_at < now - IDEMPOTENCY_TTL))

    def _check_proof(
        self,
        conn: Connection,
        kiosk: Kiosk,
        serial: str,
        uuid: str,
        nonce: str,
        mac: str,
        key_name: str,
    ) -> Row[Any] | None:
        """The holder when the card proof holds, else None (nonce used either way)."""
        now = self.now()
        used = conn.execute(
            update(nonces)
            .where(
                (nonces.c.nonce == nonce)
                & (nonces.c.kiosk_id == kiosk.id)
                & (nonces.c.used == False)  # noqa: E712 - SQL expression
                & (nonces.c.expires_at > now)
            )
            .values(used=True)
        ).rowcount
        holder = conn.execute(
            select(holders).where(holders.c.uuid == uuid).with_for_update()
        ).first()
        # Compute the MAC whatever happened above, so timing says nothing either.
        expected = aes_cmac(
            self.masters.derive(key_name, bytes.fromhex(serial)), bytes.fromhex(nonce)
        )
        mac_ok = hmac.compare_digest(expected, bytes.fromhex(mac))
        if used == 1 and holder is not None and holder.serial == serial and mac_ok:
            return holder
        return None

    # -- codes (shared by unlocks and registrations) ----------------------------------

    def _issue_code(
        self, table: Table, flow_id: str, now: float, out: Pass
    ) -> tuple[str, dict[str, Any]]:
        code = out.code()
        values = {
            "code_hash": self.fingerprint("code", table.name, flow_id, code),
            "code_expires_at": now + CODE_TTL,
            "last_sent_at": now,
        }
        return code, values

    def _check_code(
        self, conn: Connection, table: Table, row: Row[Any], code: str, now: float
    ) -> None:
        """Accept the code or count a wrong try (raising the refusal)."""
        if row.code_void:
            raise Problem(410, "code_void", "This code no longer works. Please start again.")
        if row.code_hash is None or row.code_expires_at <= now:
            raise Problem(410, "code_expired", "This code has expired. Ask for a new one.")
        if self.fingerprint.matches(row.code_hash, "code", table.name, row.id, code.strip()):
            conn.execute(update(table).where(table.c.id == row.id).values(code_hash=None))
            return
        tries_left = row.code_tries_left - 1
        conn.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(code_tries_left=tries_left, code_void=tries_left <= 0)
        )
        if tries_left <= 0:
            raise Problem(410, "code_void", "Three wrong codes: this code no longer works.")
        raise Problem(422, "code_wrong", "That code is not right.", tries_left=tries_left)

    def _resend(
        self, conn: Connection, table: Table, row: Row[Any], now: float, out: Pass
    ) -> tuple[str, dict[str, Any]]:
        if row.step != "code":
            raise Problem(409, "wrong_step", "No code is waiting to be entered.")
        if row.code_void:
            raise Problem(410, "code_void", "This code no longer works. Please start again.")
        if row.resends >= MAX_RESENDS:
            retry_after = max(1, math.ceil(row.expires_at - now))
            raise Problem(
                429,
                "too_many_resends",
                "No more codes can be sent for this request.",
                retry_after=retry_after,
            )
        wait = row.last_sent_at + RESEND_INTERVAL - now
        if wait > 0:
            raise Problem(
                429,
                "too_many_resends",
                "Please wait before asking for another code.",
                retry_after=max(1, math.ceil(wait)),
            )
        code, values = self._issue_code(table, row.id, now, out)
        values["resends"] = row.resends + 1
        conn.execute(update(table).where(table.c.id == row.id).values(**values))
        return code, values

    @staticmethod
    def _send_code(
        out: Pass, kind: _Kind, row: Row[Any], holder: Row[Any], code: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Ask for this flow's code mail; the answer that says where it went."""
        to = row.email if kind.to_new_address else holder.email
        expires_at = values["code_expires_at"]
        out.send(to, kind.template, name=holder.name, code=code, expires_at=human_time(expires_at))
        return {"code_sent_to": mask_email(to), "code_expires_at": rfc3339(expires_at)}

    def _resend_code(self, kiosk: Kiosk, kind: _Kind, flow_id: str) -> dict[str, Any]:
        """POST /v1/{unlocks,registrations}/{id}/resend."""
        now = self.now()

        def body(conn: Connection, out: Pass) -> dict[str, Any]:
            load = self._load_unlock if kind is _UNLOCK else self._load_registration
            row = load(conn, kiosk, flow_id)
            who = _who(kiosk, row, kind)
            try:
                code, values = self._resend(conn, kind.table, row, now, out)
            except Problem as refusal:
                self._audit(conn, f"{kind.name}_resend", refusal.code, **who)
                raise
            holder = conn.execute(select(holders).where(holders.c.uuid == row.uuid)).one()
            result = self._send_code(out, kind, row, holder, code, values)
            self._audit(conn, f"{kind.name}_resend", "ok", **who)
            return result

        return self._mailing(body)

    def _send(self, mail: Mail) -> None:
        self.mailer.send(
            mail.to, mail.template, ra_contact=self.settings.ra_contact, **dict(mail.values)
        )

    # -- unlocks ------------------------------------------------------------------

    def _load_unlock(self, conn: Connection, kiosk: Kiosk, unlock_id: str) -> Row[Any]:
        row = conn.execute(
            select(unlocks).where(unlocks.c.id == unlock_id).with_for_update()
        ).first()
        if row is None or row.kiosk_id != kiosk.id:
            raise Problem(404, "unknown_unlock", "No such unlock for this kiosk.")
        if row.step != "closed":
            now = self.now()
            deadline = row.accepted_expires_at if row.step == "accepted" else row.expires_at
            if now >= deadline:
                raise Problem(410, "unlock_expired", "This unlock has expired. Please start again.")
        return row

    def start_unlock(
        self, kiosk: Kiosk, serial: str, uuid: str, nonce: str, mac: str
    ) -> dict[str, Any]:
        """POST /v1/unlocks."""
        self.throttle(f"card:{serial}", self.settings.throttle.per_card)
        self.throttle(f"holder:{uuid}", self.settings.throttle.per_holder)
        now = self.now()
        who: dict[str, Any] = {"kiosk": kiosk, "uuid": uuid, "serial": serial}

        def body(conn: Connection, out: Pass) -> dict[str, Any]:
            holder = self._check_proof(conn, kiosk, serial, uuid, nonce, mac, "card_auth")
            if holder is None:
                self._audit(conn, "unlock_start", "card_proof_invalid", **who)
                raise Problem(403, "card_proof_invalid", "The card could not be verified.")
            registered = sorted(
                conn.execute(
                    select(holder_answers.c.question_id).where(holder_answers.c.uuid == uuid)
                ).scalars()
            )
            if not holder.registered or len(registered) < QUESTIONS_ASKED:
                self._audit(conn, "unlock_start", "not_registered", **who)
                raise Problem(
                    409, "not_registered", "This card is not registered for self-service."
                )
            if holder.locked_at is not None:
                self._audit(conn, "unlock_start", "self_service_locked", **who)
                raise Problem(423, "self_service_locked", "Self-service is locked for this card.")
            unlock_id = out.new_id()
            asked: list[str] = []
            values: dict[str, Any] = {}
            if self.settings.questions_required:
                asked = sorted(secrets.SystemRandom().sample(registered, QUESTIONS_ASKED))
                step = "answers"
            else:
                step = "code"
                code, values = self._issue_code(unlocks, unlock_id, now, out)
            conn.execute(
                insert(unlocks).values(
                    id=unlock_id,
                    kiosk_id=kiosk.id,
                    uuid=uuid,
                    serial=serial,
                    step=step,
                    question_ids=json.dumps(asked),
                    created_at=now,
                    expires_at=now + FLOW_TTL,
                    code_tries_left=CODE_TRIES,
                    code_void=False,
                    resends=0,
                    cryptograms=0,
                    **values,
                )
            )
            result: dict[str, Any] = {
                "unlock_id": unlock_id,
                "next": step,
                "questions": [{"id": q, "text": self.catalogue.questions[q]} for q in asked],
                "attempts_left": MAX_FAILED_ANSWERS - holder.failed_attempts,
                "expires_at": rfc3339(now + FLOW_TTL),
            }
            if step == "code":
                out.send(
                    holder.email,
                    "unlock-code",
                    name=holder.name,
                    code=code,
                    expires_at=human_time(values["code_expires_at"]),
                )
                result["code_sent_to"] = mask_email(holder.email)
            self._audit(conn, "unlock_start", "ok", unlock_id=unlock_id, next=step, **who)
            return result

        return self._mailing(body)

    def unlock_answers(
        self, kiosk: Kiosk, unlock_id: str, answers: Mapping[str, str]
    ) -> dict[str, Any]:
        """POST /v1/unlocks/{id}/answers."""
        with self._tx() as conn:
            row = self._load_unlock(conn, kiosk, unlock_id)
            who = _who(kiosk, row, _UNLOCK)
            if row.step != "answers":
                raise Problem(409, "wrong_step", "Answers are not expected now.")
            holder = conn.execute(select(holders).where(holders.c.uuid == row.uuid)).one()
            if holder.locked_at is not None:
                self._audit(conn, "unlock_answers", "self_service_locked", **who)
                raise Problem(423, "self_service_locked", "Self-service is locked for this card.")
            asked = json.loads(row.question_ids)
            if sorted(answers) != sorted(asked):
                self._audit(conn, "unlock_answers", "answers_invalid", **who)
                raise Problem(
                    422,
                    "answers_invalid",
                    f"Answer exactly the questions asked: {', '.join(asked)}.",
                )
            hashes = {
                r.question_id: r.answer_hash
                for r in conn.execute(
                    select(holder_answers).where(holder_answers.c.uuid == row.uuid)
                )
            }
        # argon2 outside any transaction: it is slow and must not hold the write lock.
        correct = all([self.hasher.verify(hashes[q], answers[q]) for q in asked])
        now = self.now()

        def body(conn: Connection, out: Pass) -> dict[str, Any]:
            row = self._load_unlock(conn, kiosk, unlock_id)
            if row.step != "answers":
                raise Problem(409, "wrong_step", "Answers are not expected now.")
            holder = conn.execute(
                select(holders).where(holders.c.uuid == row.uuid).with_for_update()
            ).one()
            if holder.locked_at is not None:
                raise Problem(423, "self_service_locked", "Self-service is locked for this card.")
            if not correct:
                failed = holder.failed_attempts + 1
                locked = failed >= MAX_FAILED_ANSWERS
                conn.execute(
                    update(holders)
                    .where(holders.c.uuid == row.uuid)
                    .values(failed_attempts=failed, locked_at=now if locked else None)
                )
                if locked:
                    self._audit(conn, "unlock_answers", "self_service_locked", **who)
                    raise Problem(
                        423,
                        "self_service_locked",
                        "Three failed attempts: self-service is locked. Contact the RA team.",
                    )
                attempts_left = MAX_FAILED_ANSWERS - failed
                self._audit(
                    conn,
                    "unlock_answers",
                    "answers_wrong",
                    **who,
                    attempts_left=attempts_left,
                )
                raise Problem(
                    422,
                    "answers_wrong",
                    "One or more answers are not right.",
                    attempts_left=attempts_left,
                )
            code, values = self._issue_code(unlocks, unlock_id, now, out)
            conn.execute(
                update(unlocks).where(unlocks.c.id == unlock_id).values(step="code", **values)
            )
            conn.execute(
                update(holders).where(holders.c.uuid == row.uuid).values(failed_attempts=0)
            )
            result = self._send_code(out, _UNLOCK, row, holder, code, values)
            self._audit(conn, "unlock_answers", "ok", **who)
            return result

        return self._mailing(body)

    def unlock_code(self, kiosk: Kiosk, unlock_id: str, code: str) -> dict[str, Any]:
        """POST /v1/unlocks/{id}/code."""
        now = self.now()
        with self._tx() as conn:
            row = self._load_unlock(conn, kiosk, unlock_id)
            who = _who(kiosk, row, _UNLOCK)
            if row.step != "code":
                raise Problem(409, "wrong_step", "No code is expected now.")
            try:
                self._check_code(conn, unlocks, row, code, now)
            except Problem as refusal:
                self._audit(conn, "unlock_code", refusal.code, **who)
                raise
            conn.execute(
                update(unlocks)
                .where(unlocks.c.id == unlock_id)
                .values(step="accepted", accepted_expires_at=now + CODE_TTL)
            )
            self._audit(conn, "unlock_code", "ok", **who)
        return {"status": "code_accepted", "expires_at": rfc3339(now + CODE_TTL)}

    def unlock_cryptogram(self, kiosk: Kiosk, unlock_id: str, challenge: str) -> dict[str, Any]:
        """POST /v1/unlocks/{id}/cryptogram."""
        with self._tx() as conn:
            row = self._load_unlock(conn, kiosk, unlock_id)
            who = _who(kiosk, row, _UNLOCK)
            if row.step != "accepted":
                raise Problem(409, "wrong_step", "No cryptogram can be issued now.")
            if row.cryptograms >= MAX_CRYPTOGRAMS:
                self._audit(conn, "unlock_cryptogram", "too_many_attempts", **who)
                raise Problem(429, "too_many_attempts", "Too many cryptograms for this unlock.")
            conn.execute(
                update(unlocks)
                .where(unlocks.c.id == unlock_id)
                .values(cryptograms=row.cryptograms + 1)
            )
            self._audit(conn, "unlock_cryptogram", "ok", **who, count=row.cryptograms + 1)
        return {"cryptogram": self.cryptogram_for(row.serial, challenge)}

    def cryptogram_for(self, serial: str, challenge: str) -> str:
        """AES-CMAC(K_unblock, challenge) for the card with this serial."""
        key = self.masters.derive("unblock", bytes.fromhex(serial))
        return aes_cmac(key, bytes.fromhex(challenge)).hex()

    def replay_cryptogram(self, kiosk: Kiosk, unlock_id: str, challenge: str) -> dict[str, Any]:
        """The answer to a repeated cryptogram request, recomputed (never stored)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(unlocks).where(unlocks.c.id == unlock_id)).first()
        if row is None or row.kiosk_id != kiosk.id:
            raise Problem(404, "unknown_unlock", "No such unlock for this kiosk.")
        return {"cryptogram": self.cryptogram_for(row.serial, challenge)}

    def unlock_resend(self, kiosk: Kiosk, unlock_id: str) -> dict[str, Any]:
        """POST /v1/unlocks/{id}/resend."""
        return self._resend_code(kiosk, _UNLOCK, unlock_id)

    def unlock_result(
        self, kiosk: Kiosk, unlock_id: str, outcome: str, status_word: str
    ) -> dict[str, Any]:
        """POST /v1/unlocks/{id}/result."""
        now = self.now()

        def body(conn: Connection, out: Pass) -> dict[str, Any]:
            row = self._load_unlock(conn, kiosk, unlock_id)
            who = _who(kiosk, row, _UNLOCK)
            if row.step != "accepted" or row.cryptograms == 0:
                raise Problem(409, "wrong_step", "No card result is expected now.")
            if outcome == "unlocked":
                conn.execute(
                    update(unlocks)
                    .where(unlocks.c.id == unlock_id)
                    .values(step="closed", closed_at=now)
                )
                holder = conn.execute(select(holders).where(holders.c.uuid == row.uuid)).one()
                out.send(
                    holder.email,
                    "unlock-notice",
                    name=holder.name,
                    kiosk=kiosk.name,
                    time=human_time(now),
                )
            self._audit(conn, "unlock_result", outcome, **who, status_word=status_word.upper())
            return {}

        return self._mailing(body)

    # -- registrations -----------------------------------------------------------------

    def _load_registration(self, conn: Connection, kiosk: Kiosk, registration_id: str) -> Row[Any]:
        row = conn.execute(
            select(registrations).where(registrations.c.id == registration_id).with_for_update()
        ).first()
        if row is None or row.kiosk_id != kiosk.id:
            raise Problem(404, "unknown_registration", "No such registration for this kiosk.")
        if row.step != "registered" and self.now() >= row.expires_at:
            raise Problem(
                410, "registration_expired", "This registration has expired. Please start again."
            )
        return row

    def start_registration(
        self,
        kiosk: Kiosk,
        serial: str,
        uuid: str,
        nonce: str,
        mac: str,
        email: str,
        mobile: str,
        terms_version: str,
    ) -> dict[str, Any]:
        """POST /v1/registrations."""
        self.throttle(f"card:{serial}", self.settings.throttle.per_card)
        self.throttle(f"holder:{uuid}", self.settings.throttle.per_holder)
        now = self.now()
        who: dict[str, Any] = {"kiosk": kiosk, "uuid": uuid, "serial": serial}
        with self._tx() as conn:
            holder = self._check_proof(conn, kiosk, serial, uuid, nonce, mac, "holder_auth")
            if holder is None:
                self._audit(conn, "registration_start", "holder_proof_invalid", **who)
                raise Problem(403, "holder_proof_invalid", "The card could not be verified.")
            refusal: Problem | None = None
            mobile_clean = normalise_mobile(mobile)
            if not email_domain_approved(email, self.settings.approved_domains):
                refusal = Problem(
                    422,
                    "email_not_approved",
                    "Use an email address on an approved domain.",
                    approved_domains=list(self.settings.approved_domains),
                )
            elif mobile_clean is None:
                refusal = Problem(422, "mobile_invalid", "Give a UK mobile number (07...).")
            elif terms_version != self.terms_version:
                refusal = Problem(
                    422,
                    "terms_outdated",
                    "The terms have changed; please read them again.",
                    terms_version=self.terms_version,
                )
            if refusal is not None:
                self._audit(conn, "registration_start", refusal.code, **who)
                raise refusal
            registration_id = new_id()
            conn.execute(
                insert(registrations).values(
                    id=registration_id,
                    kiosk_id=kiosk.id,
                    uuid=uuid,
                    serial=serial,
                    email=email.strip(),
                    mobile=mobile_clean,
                    terms_version=terms_version,
                    step="answers",
                    created_at=now,
                    expires_at=now + FLOW_TTL,
                    code_tries_left=CODE_TRIES,
                    code_void=False,
                    resends=0,
                )
            )
            self._audit(
                conn,
                "registration_start",
                "ok",
                **who,
                registration_id=registration_id,
                terms_version=terms_version,
            )
        return {"registration_id": registration_id, "expires_at": rfc3339(now + FLOW_TTL)}

    def _validate_new_answers(self, answers: Mapping[str, str]) -> None:
        if len(answers) != QUESTIONS_REGISTERED:
            raise Problem(422, "answers_invalid", "Answer exactly 4 different questions.")
        unknown = [q for q in answers if q not in self.catalogue.questions]
        if unknown:
            raise Problem(422, "answers_invalid", f"Unknown question ids: {', '.join(unknown)}.")
        for question_id, answer in answers.items():
            size = len(normalise_answer(answer))
            if not ANSWER_MIN <= size <= ANSWER_MAX:
                raise Problem(
                    422,
                    "answers_invalid",
                    f"The answer to {question_id} must be {ANSWER_MIN} to {ANSWER_MAX} characters.",
                )

    def registration_answers(
        self, kiosk: Kiosk, registration_id: str, answers: Mapping[str, str]
    ) -> dict[str, Any]:
        """PUT /v1/registrations/{id}/answers."""
        with self._tx() as conn:
            row = self._load_registration(conn, kiosk, registration_id)
            if row.step != "answers":
                raise Problem(409, "wrong_step", "Answers were already accepted.")
            self._validate_new_answers(answers)
        hashed = {q: self.hasher.hash(a) for q, a in answers.items()}
        now = self.now()

        def body(conn: Connection, out: Pass) -> dict[str, Any]:
            row = self._load_registration(conn, kiosk, registration_id)
            who = _who(kiosk, row, _REGISTRATION)
            if row.step != "answers":
                raise Problem(409, "wrong_step", "Answers were already accepted.")
            conn.execute(
                insert(registration_answers),
                [
                    {"registration_id": registration_id, "question_id": q, "answer_hash": h}
                    for q, h in hashed.items()
                ],
            )
            code, values = self._issue_code(registrations, registration_id, now, out)
            conn.execute(
                update(registrations)
                .where(registrations.c.id == registration_id)
                .values(step="code", **values)
            )
            holder = conn.execute(select(holders).where(holders.c.uuid == row.uuid)).one()
            result = self._send_code(out, _REGISTRATION, row, holder, code, values)
            self._audit(conn, "registration_answers", "ok", **who, question_ids=sorted(answers))
            return result

        return self._mailing(body)

    def registration_confirm(self, kiosk: Kiosk, registration_id: str, code: str) -> dict[str, Any]:
        """POST /v1/registrations/{id}/confirm."""
        now = self.now()
        with self._tx() as conn:
            row = self._load_registration(conn, kiosk, registration_id)
            who = _who(kiosk, row, _REGISTRATION)
            if row.step != "code":
                raise Problem(409, "wrong_step", "No code is expected now.")
            try:
                self._check_code(conn, registrations, row, code, now)
            except Problem as refusal:
                self._audit(conn, "registration_confirm", refusal.code, **who)
                raise
            conn.execute(
                update(registrations)
                .where(registrations.c.id == registration_id)
                .values(step="registered")
            )
            # The new answers replace the old ones only now; a lock stays for the RA.
            conn.execute(
                update(holders)
                .where(holders.c.uuid == row.uuid)
                .values(
                    email=row.email,
                    mobile=row.mobile,
                    registered=True,
                    terms_version=row.terms_version,
                    registered_at=now,
                )
            )
            conn.execute(delete(holder_answers).where(holder_answers.c.uuid == row.uuid))
            pending = conn.execute(
                select(registration_answers).where(
                    registration_answers.c.registration_id == registration_id
                )
            ).all()
            conn.execute(
                insert(holder_answers),
                [
                    {"uuid": row.uuid, "question_id": p.question_id, "answer_hash": p.answer_hash}
                    for p in pending
                ],
            )
            conn.execute(
                delete(registration_answers).where(
                    registration_answers.c.registration_id == registration_id
                )
            )
            self._audit(conn, "registration_confirm", "ok", **who)
        return {"status": "registered"}

    def registration_resend(self, kiosk: Kiosk, registration_id: str) -> dict[str, Any]:
        """POST /v1/registrations/{id}/resend."""
        return self._resend_code(kiosk, _REGISTRATION, registration_id)

    # -- audit ------------------------------------------------------------------------

    def record_kiosk_events(self, kiosk: Kiosk, events: list[dict[str, Any]]) -> dict[str, int]:
        """POST /v1/audit: store new events, count the ones seen before."""
        accepted = duplicates = 0
        now = self.now()
        for event in events:
            detail = {
                k: v
                for k, v in (event.get("detail") or {}).items()
                if not any(word in k.lower() for word in _SECRET_WORDS)
            }
            try:
                with self._tx() as conn:
                    seen = conn.execute(
                        select(audit.c.seq).where(audit.c.event_id == event["id"])
                    ).first()
                    if seen is not None:
                        duplicates += 1
                        continue
                    conn.execute(
                        insert(audit).values(
                            event_id=event["id"],
                            at=event["at"],
                            recorded_at=now,
                            source="kiosk",
                            kiosk=kiosk.name,
                            type=event["type"],
                            uuid=event.get("uuid"),
                            serial=event.get("serial"),
                            outcome=event["outcome"],
                            detail=json.dumps(detail, sort_keys=True, default=str),
                        )
                    )
                    accepted += 1
            except IntegrityError:
                # Another instance stored the same event id between our check and insert.
                duplicates += 1
        return {"accepted": accepted, "duplicates": duplicates}

    def export_audit(self, since: float | None = None) -> Iterator[dict[str, Any]]:
        """Audit records in order, optionally only those recorded at or after since."""
        query = select(audit).order_by(audit.c.seq)
        if since is not None:
            query = query.where(audit.c.recorded_at >= since)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield {
                    "seq": row.seq,
                    "event_id": row.event_id,
                    "at": row.at,
                    "recorded_at": rfc3339(row.recorded_at),
                    "source": row.source,
                    "kiosk": row.kiosk,
                    "type": row.type,
                    "uuid": row.uuid,
                    "serial": row.serial,
                    "outcome": row.outcome,
                    "detail": json.loads(row.detail),
                }

    # -- RA tools ----------------------------------------------------------------------

    def add_holder(self, uuid: str, serial: str, name: str, email: str, mobile: str) -> None:
        """Bind a holder UUID to a card serial in the directory (not yet registered).

        Raises:
            ValueError: malformed values, or the uuid or serial is already bound.
        """
        if not re.fullmatch(r"\d{12}", uuid) or not re.fullmatch(r"[0-9a-fA-F]{16}", serial):
            raise ValueError("uuid is 12 digits and serial 16 hex digits")
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(holders).values(
                        uuid=uuid,
                        serial=serial.lower(),
                        name=name,
                        email=email,
                        mobile=mobile,
                        registered=False,
                        failed_attempts=0,
                        demo=False,
                    )
                )
                self._audit(
                    conn, "holder_added", "ok", source="ra", uuid=uuid, serial=serial.lower()
                )
        except IntegrityError as exc:
            raise ValueError("this uuid or card serial is already in the directory") from exc

    def clear_lock(self, uuid: str) -> bool:
        """Clear a holder's self-service lock and failure count; False if unknown."""
        with self._tx() as conn:
            done = conn.execute(
                update(holders)
                .where(holders.c.uuid == uuid)
                .values(failed_attempts=0, locked_at=None)
            ).rowcount
            if done:
                self._audit(conn, "ra_clear_lock", "ok", source="ra", uuid=uuid)
        return bool(done)

    def show_holder(self, uuid: str) -> dict[str, Any] | None:
        """What the RA may see about a holder (never answers, hashes or codes)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(holders).where(holders.c.uuid == uuid)).first()
            if row is None:
                return None
            questions = sorted(
                conn.execute(
                    select(holder_answers.c.question_id).where(holder_answers.c.uuid == uuid)
                ).scalars()
            )
        return {
            "uuid": row.uuid,
            "serial": row.serial,
            "name": row.name,
            "email": row.email,
            "mobile": row.mobile,
            "registered": bool(row.registered),
            "terms_version": row.terms_version,
            "registered_at": rfc3339(row.registered_at) if row.registered_at else None,
            "question_ids": questions,
            "failed_attempts": row.failed_attempts,
            "locked": row.locked_at is not None,
            "locked_at": rfc3339(row.locked_at) if row.locked_at else None,
        }

    # -- idempotency --------------------------------------------------------------------

    def idempotency_begin(
        self, kiosk: Kiosk, key: str, method: str, path: str, body: str
    ) -> tuple[int, str | None] | None:
        """Claim key for a request, or the stored answer (status, body) to replay.

        The body in the answer is None when it must be recomputed (cryptograms).

        Raises:
            Problem: 422 idempotency_key_reused; 409 request_in_progress.
        """
        now = self.now()
        key_hash = self.fingerprint("idempotency-key", key)
        fingerprint = self.fingerprint("idempotency-request", method, path, body)
        try:
            return self._claim_key(kiosk, key_hash, method, path, fingerprint, now)
        except IntegrityError:
            # A concurrent first request inserted the same key a moment before us.
            raise Problem(
                409, "request_in_progress", "The first request with this key is running."
            ) from None

    def _claim_key(
        self, kiosk: Kiosk, key_hash: str, method: str, path: str, fingerprint: str, now: float
    ) -> tuple[int, str | None] | None:
        where = (idempotency.c.kiosk_id == kiosk.id) & (idempotency.c.key_hash == key_hash)
        with self._tx() as conn:
            row = conn.execute(select(idempotency).where(where).with_for_update()).first()
            stale = row is not None and (
                row.created_at < now - IDEMPOTENCY_TTL
                or (row.state == "running" and row.created_at < now - IDEMPOTENCY_STALE)
            )
            if row is not None and not stale:
                if row.method != method or row.path != path or row.fingerprint != fingerprint:
                    raise Problem(
                        422,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used for a different request.",
                    )
                if row.state == "running":
                    raise Problem(
                        409, "request_in_progress", "The first request with this key is running."
                    )
                return int(row.status), row.body
            if stale:
                conn.execute(delete(idempotency).where(where))
            conn.execute(
                insert(idempotency).values(
                    kiosk_id=kiosk.id,
                    key_hash=key_hash,
                    method=method,
                    path=path,
                    fingerprint=fingerprint,
                    state="running",
                    created_at=now,
                )
            )
        return None

    def idempotency_finish(self, kiosk: Kiosk, key: str, status: int, body: str | None) -> None:
        """Keep the answer to replay (5xx answers are forgotten instead)."""
        key_hash = self.fingerprint("idempotency-key", key)
        where = (idempotency.c.kiosk_id == kiosk.id) & (idempotency.c.key_hash == key_hash)
        with self._tx() as conn:
            if status >= 500:
                conn.execute(delete(idempotency).where(where))
            else:
                conn.execute(
                    update(idempotency).where(where).values(state="done", status=status, body=body)
                )

    # -- demo data ------------------------------------------------------------------------

    def seed_demo(self) -> dict[str, Any]:
        """Insert the missing demo holders and the demo kiosk; the demo data as JSON."""
        with open(self.settings.demo_holders_file, "rb") as f:
            data = tomllib.load(f)
        token = str(data["demo_kiosk_token"])
        with self._tx() as conn:
            known = conn.execute(
                select(kiosks.c.id).where(kiosks.c.token_hash == token_hash(token))
            ).first()
            if known is None:
                conn.execute(
                    insert(kiosks).values(
                        id=new_id(),
                        name="demo kiosk",
                        token_hash=token_hash(token),
                        demo=True,
                        created_at=self.now(),
                    )
                )
        out: list[dict[str, Any]] = []
        for h in data["holders"]:
            answers = {str(k): str(v) for k, v in h.get("answers", {}).items()}
            with self._tx() as conn:
                exists = conn.execute(
                    select(holders.c.uuid).where(holders.c.uuid == h["uuid"])
                ).first()
            if exists is None:
                hashed = {q: self.hasher.hash(a) for q, a in answers.items()}
                with self._tx() as conn:
                    conn.execute(
                        insert(holders).values(
                            uuid=h["uuid"],
                            serial=h["serial"].lower(),
                            name=h["name"],
                            email=h["email"],
                            mobile=h["mobile"],
                            registered=bool(h["registered"]),
                            terms_version=self.terms_version if h["registered"] else None,
                            registered_at=self.now() if h["registered"] else None,
                            failed_attempts=0,
                            locked_at=None,
                            demo=True,
                        )
                    )
                    if hashed:
                        conn.execute(
                            insert(holder_answers),
                            [
                                {"uuid": h["uuid"], "question_id": q, "answer_hash": v}
                                for q, v in hashed.items()
                            ],
                        )
                    self._audit(
                        conn,
                        "demo_holder_added",
                        "ok",
                        source="ra",
                        uuid=h["uuid"],
                        serial=h["serial"].lower(),
                    )
            out.append(
                {
                    "uuid": h["uuid"],
                    "serial": h["serial"].lower(),
                    "name": h["name"],
                    "email": h["email"],
                    "mobile": h["mobile"],
                    "pin": h["pin"],
                    "card_state": h["card_state"],
                    "registered": bool(h["registered"]),
                    "answers": answers,
                }
            )
        return {"kiosk_token": token, "holders": out}
