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

Journeys are admitted too, at their first call (`open_journey`, the nonce): refusing
answer steps alone let 1000 kiosks starting together all get a nonce and start,
then share the pool at random, so none finished in 90 s (issue 14, bench 6b). New
journeys pass at the rate the pool finishes answer steps (measured, like the wait),
after a burst of `journey_burst` seconds' worth; the others are refused at the door
with a Retry-After that books each one a later turn, one check apart, so they come
back spread out rather than all at once, and the journeys already under way finish.
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
# Until a check was measured, the journey door's bucket is filled as if one request's
# checks took this (it paces journeys only while the start-up timing runs, or once a
# check was measured).
ASSUMED_CHECK_SECONDS = 1.0
# Longest turn the journey door books ahead: a kiosk waits out 60 s of service_busy
# by itself (kiosk.service_http busy_wait_max), so a turn is at most half that; a
# kiosk refused when every turn that near is booked comes back then and tries again.
LONGEST_TURN = 30


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
    journeys_refused: int = 0
    """New journeys (nonces) refused at the door since the start."""


class AnswerChecks:
    """Admission to answer checking, and the bounded, arrival-ordered pool that runs it."""

    def __init__(
        self,
        workers: int,
        max_wait: float,
        max_queue: int,
        monotonic: Callable[[], float] = time.monotonic,
        nice: int = 0,
        journey_burst: float | None = None,
    ) -> None:
        """Args:
        workers: checks that run at once (the machine's CPUs by default).
        max_wait: seconds a request may wait for a worker before it is refused.
        max_queue: admitted requests beyond the workers, whatever the estimate.
        monotonic: the clock checks are timed with.
        nice: added to the checking threads' niceness (Linux); 0 runs each check
            on its caller's thread.
            journey_burst: seconds of checking that new journeys may bring at once
                beyond the measured rate; None: journeys are not admitted apart (a
                policy that asks no questions).
        """
        if workers < 1 or max_queue < 0 or max_wait < 0:
            raise ValueError("workers >= 1, max_queue >= 0, max_wait >= 0")
        if journey_burst is not None and journey_burst < 0:
            raise ValueError("journey_burst >= 0")
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
        self._calibrating = False
        self._refused = 0
        self.journey_burst = journey_burst
        self._journeys_refused = 0
        # The door's token bucket: whole tokens admit journeys; it starts full.
        self._tokens = float(self._burst_locked())
        self._filled_at = monotonic()
        self._booked_until = self._filled_at
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
                self._journeys_refused,
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

    def _journey_rate_locked(self) -> float:
        """Answer steps the pool finishes per second, as measured (journeys it can take)."""
        return self.workers / (self._check_seconds or ASSUMED_CHECK_SECONDS)

    def _burst_locked(self) -> int:
        """Journeys admitted at once on an idle door: at least two per worker (one
        checking, one ready), more when checks are quick."""
        if self.journey_burst is None:
            return 0
        return max(self._fed, math.floor(self._journey_rate_locked() * self.journey_burst))

    def open_journey(self) -> None:
        """Admit a new journey at its first call, or refuse it while checking cannot keep up.

        A journey is refused when the door's bucket is empty (journeys arrived faster
        than the pool finishes answer steps, past the burst) or when an answer step
        arriving now would be refused; until a check's cost was measured, only then.
        Each refusal books the next free turn, one check's share apart, and says so in
        Retry-After, so refused kiosks come back spread out, about in the order they
        were refused.

        Raises:
            ServiceBusy: refused; come back after its retry_after.
        """
        if self.journey_burst is None:
            return
        with self._turns:
            now = self._monotonic()
            rate = self._journey_rate_locked()
            burst = self._burst_locked()
            self._tokens = min(burst, self._tokens + (now - self._filled_at) * rate)
            self._filled_at = now
            if self._refusal_locked() is None:
                if self._check_seconds is None and not self._calibrating:
                    # The cost is not known and not being timed (no start-up, as in
                    # tests' servers): refused only while the answer pool is full.
                    # While it is timed at start-up, the door paces at the assumed
                    # cost, so kiosks that start in the first second do not all pass.
                    return
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
            self._journeys_refused += 1
            booked = max(self._booked_until, now) + 1 / rate
            if booked - now > LONGEST_TURN:
                raise ServiceBusy(retry_after=LONGEST_TURN)  # every near turn is taken
            self._booked_until = booked
            raise ServiceBusy(retry_after=max(1, math.ceil(booked - now)))

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

    def calibrate(self, one_check: Callable[[], object], per_request: int) -> threading.Thread:
        """Time one check on a checking thread, in the background, to seed the estimate.

        A freshly started service otherwise knows nothing of the cost until its first
        answer step finishes, and the journey door would guess it; the first real
        checks replace the seed through the moving average.

        Args:
            one_check: one argon2id operation at the configured cost.
            per_request: checks in one answer step (the questions asked).

        Returns:
            The thread timing it (started; tests may join it).
        """

        def timed() -> None:
            started = self._monotonic()
            try:
                if self._threads is None:
                    one_check()
                else:
                    self._threads.submit(one_check).result()
                elapsed = (self._monotonic() - started) * per_request
                with self._turns:
                    if self._check_seconds is None:
                        self._check_seconds = elapsed
            except Exception as failure:  # the first answer step will measure it instead
                log.warning("timing one answer check failed: %s", type(failure).__name__)
            finally:
                with self._turns:
                    self._calibrating = False

        with self._turns:
            self._calibrating = self._check_seconds is None
        thread = threading.Thread(target=timed, name="answer-check-calibration", daemon=True)
        thread.start()
        return thread

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
