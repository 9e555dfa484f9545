"""Answer checks (argon2id) on a bounded pool sized to the machine, in arrival order.

One answer check costs about 0.2 s of CPU per answer at the configured cost. With
every request admitted, all of them slow down together past capacity until none
finishes within the kiosk's timeout (issue 14: 0 journeys with 200 kiosks). So the
steps that check answers are admitted first (`admit`, at the HTTP edge, before any
transaction): a request that would wait longer than it usefully can is refused at
once with `ServiceBusy`, having read, counted and written nothing. Admitted
requests take their turn in arrival order (`run`), at most `workers` at once.

The wait is estimated from the admitted requests ahead and the measured time of
one check (a moving average), so it follows the real cost on this machine; a
hard cap on the admitted requests bounds memory before anything was measured.
Like the rules' other state that is not shared between instances, this is per
process on purpose: it guards this machine's CPU, not a counter of the rules.

The checks run on threads of their own at a lower CPU priority (`nice`): argon2id
with parallelism 4 keeps several threads per check busy, which on a small machine
starved the event loop, so /v1/health waited behind hashing (p99 444 ms at 200
kiosks). Niced, hashing still takes every cycle nothing else wants, and health,
readiness and the cheap endpoints go first (issue 14).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from service.domain.errors import ServiceBusy

T = TypeVar("T")

log = logging.getLogger(__name__)

# Weight of the newest measurement in the moving average of a check's time.
SMOOTHING = 0.2


@dataclass(frozen=True)
class Load:
    """What the pool is doing now (for the readiness probe and benchmarks)."""

    workers: int
    admitted: int
    """Requests admitted and not yet answered (checking, waiting or around their check)."""
    checking: int
    """Checks running now (at most `workers`)."""
    waiting: int
    """Admitted requests waiting for a worker, in arrival order."""
    check_seconds: float | None
    """Moving average of one request's checks; None until one was measured."""
    refused: int
    """Requests refused since the start."""


class AnswerChecks:
    """Admission to answer checking, and the bounded, arrival-ordered pool that runs it."""

    def __init__(
        self,
        workers: int,
        max_wait: float,
        max_queue: int,
        monotonic: Callable[[], float] = time.monotonic,
        nice: int = 0,
    ) -> None:
        """Args:
        workers: checks that run at once (the machine's CPUs by default).
        max_wait: seconds a request may wait for a worker before it is refused.
        max_queue: admitted requests beyond the workers, whatever the estimate.
        monotonic: the clock checks are timed with.
        nice: added to the checking threads' niceness (Linux); 0 runs each check
            on its caller's thread.
        """
        if workers < 1 or max_queue < 0 or max_wait < 0:
            raise ValueError("workers >= 1, max_queue >= 0, max_wait >= 0")
        self.workers = workers
        self.max_wait = max_wait
        self.capacity = workers + max_queue
        """The most requests admitted at once: what bounds threads and memory."""
        self._fed = min(self.capacity, 2 * workers)
        self._monotonic = monotonic
        self._turns = threading.Condition()
        self._admitted = 0
        self._checking = 0
        self._waiting: deque[object] = deque()
        self._check_seconds: float | None = None
        self._refused = 0
        self._threads = (
            ThreadPoolExecutor(
                workers, "answer-check", initializer=_lower_priority, initargs=(nice,)
            )
            if nice > 0
            else None
        )

    def load(self) -> Load:
        """A snapshot of the pool."""
        with self._turns:
            return Load(
                self.workers,
                self._admitted,
                self._checking,
                len(self._waiting),
                self._check_seconds,
                self._refused,
            )

    def busy(self) -> int | None:
        """Seconds to wait before trying again if a request now would be refused; else None."""
        with self._turns:
            return self._refusal_locked()

    def refuse_if_busy(self) -> None:
        """Refuse a request now if it would be refused at admission (counted as refused).

        Raises:
            ServiceBusy: a request arriving now would be refused.
        """
        with self._turns:
            retry_after = self._refusal_locked()
            if retry_after is not None:
                self._refused += 1
                raise ServiceBusy(retry_after=retry_after)

    def _refusal_locked(self) -> int | None:
        ahead = self._admitted
        per_check = self._check_seconds or 0.0
        # A newcomer starts once (ahead - workers + 1) of those ahead are done.
        wait = max(0, ahead - self.workers + 1) / self.workers * per_check
        if ahead < self.capacity:
            # One request queued per worker is always admitted, whatever the estimate:
            # while one checks, the next does its reads, so no worker waits for work.
            if ahead < self._fed or wait <= self.max_wait:
                return None
        # About when a request like this one would be admitted (the kiosk adds jitter).
        return max(1, math.ceil(wait - self.max_wait))

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Admit one request that will check answers, for as long as it runs.

        Raises:
            ServiceBusy: it would wait longer than `max_wait`, or the pool is full.
        """
        with self._turns:
            retry_after = self._refusal_locked()
            if retry_after is not None:
                self._refused += 1
                raise ServiceBusy(retry_after=retry_after)
            self._admitted += 1
        try:
            yield
        finally:
            with self._turns:
                self._admitted -= 1

    def run(self, check: Callable[[], T]) -> T:
        """Run one request's answer checks on a worker, in arrival order (blocking).

        Args:
            check: the argon2id work (verify or hash), with no transaction open.

        Returns:
            What check returned.
        """
        me = object()
        with self._turns:
            self._waiting.append(me)
            while self._waiting[0] is not me or self._checking >= self.workers:
                self._turns.wait()
            self._waiting.popleft()
            self._checking += 1
            # The next in line may start too if a worker is free.
            self._turns.notify_all()
        started = self._monotonic()
        try:
            if self._threads is None:
                return check()
            return self._threads.submit(check).result()
        finally:
            elapsed = self._monotonic() - started
            with self._turns:
                self._checking -= 1
                previous = self._check_seconds
                self._check_seconds = (
                    elapsed
                    if previous is None
                    else (1 - SMOOTHING) * previous + SMOOTHING * elapsed
                )
                self._turns.notify_all()


def _lower_priority(nice: int) -> None:
    """Make the calling thread `nice` steps nicer (Linux sets niceness per thread).

    argon2's own lane threads, started from this one, inherit it. Raising niceness
    needs no privilege; where it is refused anyway (a system call filter), checks run
    at normal priority.
    """
    if sys.platform != "linux":
        return  # elsewhere the call would renice the whole process
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, now + nice))
    except OSError as exc:
        log.warning("answer checks run at normal priority: %s", type(exc).__name__)
