"""What every rule runs on: settings, the store, the clock, the keys and the mailer."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine

from card.keys import MasterKeys
from service.domain import kept_answers
from service.domain.answer_checks import AnswerChecks
from service.domain.card_ca import load_card_ca
from service.domain.catalogue import Catalogue, load_terms_version
from service.domain.errors import Refusal
from service.domain.mail_claims import MailClaims
from service.domain.times import Clock, utc_now
from service.mailer import Mailer
from service.mailing import Mail, Pass, run_mailing
from service.secrecy import AnswerHasher, Fingerprinter, new_id
from service.settings import ServiceSettings
from service.store import begin

T = TypeVar("T")

OWES_NOTICE = "ssu_owes_notice"
"""Set in a connection's info by a transaction that recorded a notice owed."""


@dataclass(frozen=True)
class Kiosk:
    """An authenticated kiosk: the caller of every rule but the RA's."""

    id: str
    name: str
    ra_desk: bool = False
    """Whether it was added as an RA desk (`kiosk add --ra-desk`)."""


class Parts:
    """The parts of one service instance.

    Every rule is blocking (database, argon2, SMTP): the HTTP layer calls them
    from worker threads. Every counter, lock, nonce, code and idempotency record
    lives in the database, so several instances can serve the same kiosks.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        engine: Engine,
        masters: MasterKeys,
        mailer: Mailer,
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
        self.instance_id = new_id()
        """This instance, as the records of the work it holds name it."""
        self.mail_claims = MailClaims(engine, clock, self.instance_id)
        self.notices_owed = threading.Event()
        """Set when a committed transaction owed a notice: wakes the notice sweep."""
        #: The card CA for PIV proofs (None: no PIV cards), read once at start.
        self.card_ca = load_card_ca(settings)
        workers = settings.admission.workers or os.cpu_count() or 1
        # Here, not at the top: the policy module imports this one (through codes, audit).
        from service.domain.policy import asks_questions

        self.answer_checks = AnswerChecks(
            workers,
            settings.admission.max_wait,
            workers * settings.admission.max_queue_per_worker,
            nice=settings.admission.check_nice,
            journey_burst=(settings.admission.journey_burst if asks_questions(settings) else None),
        )

    def now(self) -> float:
        """Epoch seconds from the injected clock."""
        return self.clock().timestamp()

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """A transaction that is committed on success and on a Refusal.

        A refusal still keeps what was written before it (a counted failure, a
        used nonce, the audit record), and with it the refusal as the answer to the
        request's Idempotency-Key (service/domain/kept_answers.py); any other
        exception rolls everything back.
        Nothing is mailed inside one: see `mailing`.

        Args:
            durable: False commits without waiting for the disk (`store.begin`):
                only for writes a power cut may lose harmlessly, never a rule's state.
        """
        with self.engine.connect() as conn:
            begin(conn, durable=durable)
            conn.info.pop(OWES_NOTICE, None)
            kept_answers.rolled_back(conn)
            try:
                yield conn
            except Refusal as refusal:
                # The refusal ends the request: its answer is kept with what led to it.
                kept_answers.keep_refusal(conn, refusal)
                conn.commit()
                self._committed(conn)
                raise
            except BaseException:
                conn.rollback()
                conn.info.pop(OWES_NOTICE, None)
                kept_answers.rolled_back(conn)
                raise
            conn.commit()
            self._committed(conn)

    def _committed(self, conn: Connection) -> None:
        kept_answers.committed(conn)
        self._wake_notices(conn)

    def _wake_notices(self, conn: Connection) -> None:
        if conn.info.pop(OWES_NOTICE, False):
            self.notices_owed.set()

    def mailing(
        self,
        body: Callable[[Connection, Pass], T],
        *,
        flow: str | None = None,
        partial: bool = False,
    ) -> T:
        """Run a step that mails with no transaction open while it mails (service/mailing.py).

        Args:
            body: the step.
            flow: the flow it changes ("unlocks:<id>"): steps of one flow then mail
                one at a time (service/domain/mail_claims.py). None for a step that
                creates its flow, which nobody else can reach yet.
            partial: keep the messages that went when another channel's failed.
        """
        if flow is None:
            return run_mailing(self.transaction, self.send, body, partial=partial)
        with self.mail_claims.held(flow):
            return run_mailing(self.transaction, self.send, body, partial=partial)

    def send(self, mail: Mail) -> None:
        """Send one mail or text now (raising MailNotSent)."""
        send = self.mailer.send_text if mail.channel == "sms" else self.mailer.send
        send(
            mail.to,
            mail.template,
            ra_contact=self.settings.ra_contacts.one_line(),
            **dict(mail.values),
        )
