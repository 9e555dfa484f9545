"""What every rule runs on: settings, the store, the clock, the keys and the mailer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine

from card.keys import MasterKeys
from service.domain.answer_checks import AnswerChecks
from service.domain.catalogue import Catalogue, load_terms_version
from service.domain.errors import Refusal
from service.domain.times import Clock, utc_now
from service.mailer import Mailer
from service.mailing import Mail, Pass, run_mailing
from service.secrecy import AnswerHasher, Fingerprinter
from service.settings import ServiceSettings
from service.store import begin

T = TypeVar("T")


@dataclass(frozen=True)
class Kiosk:
    """An authenticated kiosk: the caller of every rule but the RA's."""

    id: str
    name: str


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
        workers = settings.admission.workers or os.cpu_count() or 1
        self.answer_checks = AnswerChecks(
            workers,
            settings.admission.max_wait,
            workers * settings.admission.max_queue_per_worker,
            nice=settings.admission.check_nice,
        )

    def now(self) -> float:
        """Epoch seconds from the injected clock."""
        return self.clock().timestamp()

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """A transaction that is committed on success and on a Refusal.

        A refusal still keeps what was written before it (a counted failure, a
        used nonce, the audit record); any other exception rolls everything back.
        Nothing is mailed inside one: see `mailing`.

        Args:
            durable: False commits without waiting for the disk (`store.begin`):
                only for writes a power cut may lose harmlessly, never a rule's state.
        """
        with self.engine.connect() as conn:
            begin(conn, durable=durable)
            try:
                yield conn
            except Refusal:
                conn.commit()
                raise
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def mailing(self, body: Callable[[Connection, Pass], T]) -> T:
        """Run a step that mails with no transaction open while it mails (service/mailing.py)."""
        return run_mailing(self.transaction, self.send, body)

    def send(self, mail: Mail) -> None:
        """Send one mail now (raising MailNotSent)."""
        self.mailer.send(
            mail.to,
            mail.template,
            ra_contact=self.settings.ra_contacts.one_line(),
            **dict(mail.values),
        )
