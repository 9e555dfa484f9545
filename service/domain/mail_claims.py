"""One mail in flight per journey: concurrent steps of one flow take turns.

A step that mails runs its rules, rolls them back, mails, and runs them again
(service/mailing.py). Two such steps of one flow at once (two right answers, two
"unlocked" results: a kiosk's retry racing its first try, with or without an
Idempotency-Key) would both pass the first run and both mail, though only one
can commit: two codes sent, one dead. So the whole of a mailing step runs under
a claim on its flow, kept in the database (several instances serve one flow). A
second step waits for the claim, then runs its rules afresh and sees what the
first one did (answered `wrong_step`, no second mail).

A claim left by a request that died is taken over once its instance stops
beating (service/domain/instances.py) or after HOLD seconds, whichever comes
first. HOLD is longer than any mail may take (SMTP timeout, Notify's bounded
tries), so a live sender is never overtaken.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from service.domain import instances
from service.domain.times import Clock
from service.queries import mail_claims
from service.secrecy import new_id

HOLD = 90.0
"""Seconds after which a claim is abandoned even if its instance still beats."""
POLL = 0.02
"""Seconds before the first look again at a claim someone else holds; each wait is
half as long again, up to POLL_MAX (a mail takes milliseconds, or seconds when the
relay is slow: no need to take the store's write lock 50 times a second)."""
POLL_MAX = 0.5


class MailClaims:
    """Claims on flows' mail, in the store."""

    def __init__(self, engine: Engine, clock: Clock, instance_id: str) -> None:
        self.engine = engine
        self.clock = clock
        self.instance_id = instance_id

    def _now(self) -> float:
        return self.clock().timestamp()

    def _try(self, key: str, token: str) -> bool:
        now = self._now()
        try:
            with self.engine.begin() as conn:
                row = mail_claims.find_for_update(conn, key)
                if row is None:
                    mail_claims.take(conn, key, token, self.instance_id, now)
                    return True
                abandoned = row.claimed_at < now - HOLD or not instances.alive(
                    conn, row.instance_id, self.instance_id, now
                )
                if abandoned:
                    return mail_claims.take_over(conn, key, row.token, token, self.instance_id, now)
                return False
        except IntegrityError:
            return False

    @contextmanager
    def held(self, key: str) -> Iterator[None]:
        """Hold the claim on key for the block, waiting (bounded) for another holder.

        The wait is bounded by HOLD: by then the other holder has finished or its
        claim is taken over.
        """
        token = new_id()
        deadline = time.monotonic() + HOLD + 5.0
        pause = POLL
        while not self._try(key, token):
            if time.monotonic() > deadline:
                # Only if the instances' clocks disagree by more than HOLD: go on
                # without the claim rather than wait for ever (the step's own rules
                # still refuse a step out of order; at worst a second mail goes).
                break
            time.sleep(pause)
            pause = min(POLL_MAX, pause * 1.5)
        try:
            yield
        finally:
            with self.engine.begin() as conn:
                mail_claims.release(conn, key, token)
