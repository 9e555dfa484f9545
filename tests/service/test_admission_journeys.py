"""The journey door (issue 14): new journeys pass at the rate answer steps finish.

With only the answer steps admitted, 1000 kiosks starting together all got a nonce
and started, then shared the answer pool at random, and no journey finished. These
tests prove the behaviour that replaced it: past a burst, a new journey (its nonce)
is refused 503 service_busy, having counted and written nothing, while the journeys
already under way are answered. The clock of the pool is stepped by hand, so no
assertion here depends on time; how fast journeys go is measured in bench/ (6b).
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from card.keys import MasterKeys
from service.domain.answer_checks import AnswerChecks
from service.domain.errors import ServiceBusy
from service.settings import ServiceSettings
from service.tables import audit, nonces, rate_limits
from tests.service.conftest import WAIT, MovableClock, RunningService, start_service
from tests.service.test_admission import (
    answers_for,
    assert_busy,
    kiosk,
    pool_held,
    start_unlock,
)


class SteppedClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def measured(checks: AnswerChecks, clock: SteppedClock, seconds: float) -> None:
    """One answer step whose checks "take" seconds on the stepped clock."""

    def check() -> None:
        clock.now += seconds

    with checks.admit():
        checks.run(check)


def refused_after(checks: AnswerChecks) -> int:
    """The Retry-After of a new journey refused now (fails if it is admitted)."""
    with pytest.raises(ServiceBusy) as refused:
        checks.open_journey()
    retry_after = refused.value.extras["retry_after"]
    assert isinstance(retry_after, int)
    return retry_after


# -- the door on its own ----------------------------------------------------------------


def test_new_journeys_pass_at_the_measured_rate_after_a_burst() -> None:
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, journey_burst=4.0)
    measured(checks, clock, 1.0)  # one answer step a second: one journey a second
    # The burst (4 s of checking, 4 journeys) has been refilling since the start.
    for _ in range(4):
        checks.open_journey()
    # Then each refused journey is booked a turn one check after the one before.
    assert [refused_after(checks) for _ in range(3)] == [1, 2, 3]
    assert checks.load().journeys_refused == 3
    clock.now += 1.0  # a check's time later, one journey more passes
    checks.open_journey()
    refused_after(checks)
    # Refusing journeys is not refusing answer steps: the pool itself is idle.
    assert checks.load().refused == 0
    assert checks.busy() is None


def test_turns_are_booked_at_most_30_s_ahead() -> None:
    """A kiosk waits out 60 s of service_busy by itself: no turn is booked past 30 s."""
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, journey_burst=0)
    measured(checks, clock, 1.0)
    checks.open_journey()
    checks.open_journey()  # the pool's two: the burst is empty now
    turns = [refused_after(checks) for _ in range(40)]
    assert turns == [*range(1, 31), *[30] * 10]
    clock.now += 30.0  # the turns have come: room for the burst again, then turns anew
    checks.open_journey()
    checks.open_journey()
    assert refused_after(checks) == 1


def test_a_journey_is_refused_while_answer_checking_is_full() -> None:
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, journey_burst=1000.0)
    with pool_held(checks, checks.capacity):
        refused_after(checks)
    checks.open_journey()


def test_until_a_check_was_measured_journeys_are_refused_only_when_the_pool_is_full() -> None:
    """The service times one check at start-up; before that (or with no start-up, as
    in the tests' servers) the door does not guess the rate."""
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, journey_burst=0)
    for _ in range(100):
        checks.open_journey()
    with pool_held(checks, checks.capacity):
        refused_after(checks)


def test_while_the_start_up_timing_runs_journeys_are_paced_at_the_assumed_cost() -> None:
    """A served service times one check at start-up (about a second at the configured
    cost). Before this, every kiosk starting in that second passed the door at once
    (100 in the bench's 100-kiosk phase) and met the full answer pool instead."""
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, journey_burst=4.0)
    release = threading.Event()

    def one_hash() -> None:
        release.wait(WAIT)
        clock.now += 0.25

    timing = checks.calibrate(one_hash, per_request=3)
    # The assumed cost (1 s a request): the burst of 4 passes, then turns are booked.
    for _ in range(4):
        checks.open_journey()
    assert [refused_after(checks) for _ in range(3)] == [1, 2, 3]
    release.set()
    timing.join(WAIT)
    assert checks.load().check_seconds == 0.75
    # A timing that failed leaves the door as it was before any timing: not pacing.
    failing = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, journey_burst=0)

    def broken() -> None:
        raise RuntimeError("no argon2 here")

    failing.calibrate(broken, per_request=3).join(WAIT)
    for _ in range(100):
        failing.open_journey()


def test_a_policy_that_asks_no_questions_has_no_journey_door() -> None:
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock)
    for _ in range(1000):
        checks.open_journey()
    assert checks.load().journeys_refused == 0


def test_the_cost_of_a_check_is_timed_once_at_the_start() -> None:
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, nice=1)

    def one_hash() -> None:
        clock.now += 0.25

    checks.calibrate(one_hash, per_request=3).join(WAIT)
    assert checks.load().check_seconds == 0.75


# -- the door over HTTP ---------------------------------------------------------------------


@pytest.fixture
def door_live(settings: ServiceSettings, masters: MasterKeys, clock: MovableClock) -> Any:
    running = start_service(settings, masters, clock)
    try:
        yield running
    finally:
        running.stop()


def frozen_door(live: RunningService) -> tuple[AnswerChecks, SteppedClock]:
    """Give the live service a pool whose clock stands still once one check was measured
    (1 s): two journeys, then none."""
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, monotonic=clock, journey_burst=0)
    measured(checks, clock, 1.0)
    live.service.answer_checks = checks
    return checks, clock


def counts(live: RunningService) -> dict[str, Any]:
    """What a request could have counted or written: nonces, kiosk counts, audit."""
    with live.service.engine.connect() as conn:
        return {
            "nonces": conn.execute(select(func.count()).select_from(nonces)).scalar_one(),
            "counts": sorted(tuple(r) for r in conn.execute(select(rate_limits)).all()),
            "audit": conn.execute(select(func.count()).select_from(audit)).scalar_one(),
        }


def test_a_refused_new_journey_counts_nothing_and_writes_nothing(
    door_live: RunningService,
) -> None:
    checks = door_live.service.answer_checks
    with kiosk(door_live) as http:
        assert http.post("/v1/nonces").status_code == 201  # the kiosk's count exists
        before = counts(door_live)
        with pool_held(checks, checks.capacity):
            key = {"Idempotency-Key": secrets.token_hex(16)}
            assert_busy(http.post("/v1/nonces", headers=key))
            assert counts(door_live) == before
            health = httpx.get(f"{door_live.url}/v1/health", timeout=WAIT)
            assert health.status_code == 200
        # Not kept under its key either: the same request goes through once there is room.
        assert http.post("/v1/nonces", headers=key).status_code == 201
    assert counts(door_live)["nonces"] == before["nonces"] + 1


def test_journeys_under_way_are_answered_while_new_ones_are_refused(
    door_live: RunningService, masters: MasterKeys
) -> None:
    checks, clock = frozen_door(door_live)
    locked, working = door_live.holder("locked"), door_live.holder("working")
    with kiosk(door_live) as first, kiosk(door_live, "ra-desk") as second:
        # The door's burst: as many journeys as the pool holds (two), then none.
        one = start_unlock(first, masters, locked)
        two = start_unlock(second, masters, working)
        before = counts(door_live)
        assert_busy(first.post("/v1/nonces"))
        assert_busy(second.post("/v1/nonces"))
        assert counts(door_live) == before
        assert checks.load().journeys_refused == 2
        # The journeys already under way still have their answers checked.
        for http, unlock, holder in ((first, one, locked), (second, two, working)):
            answered = http.post(
                f"/v1/unlocks/{unlock['unlock_id']}/answers",
                json=answers_for(unlock, holder, right=True),
            )
            assert answered.status_code == 200, answered.text
            assert answered.json()["code_sent_to"].endswith("@nhs.net")
        # The stepped clock has not moved, so nothing refilled: still refused ...
        assert_busy(first.post("/v1/nonces"))
        # ... until a measured check's time has passed.
        clock.now += 1.0
        assert first.post("/v1/nonces").status_code == 201
