"""Admission control for answer checks (issue 14), on the real service over loopback HTTP.

The pool is filled by admitted requests whose check is held on the worker until
the test lets it go, so "full" is a state, not a race against the clock. No
assertion here is about time: how fast health answers is measured in bench/.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from card.keys import MasterKeys
from service.domain.answer_checks import AnswerChecks
from service.domain.errors import ServiceBusy
from service.settings import Admission, ServiceSettings
from tests.service.conftest import (
    WAIT,
    MovableClock,
    RunningService,
    card_mac,
    start_service,
    wait_for,
)
from tests.service.holder_steps import proof_body

# -- the pool on its own --------------------------------------------------------------------


class SteppedClock:
    """A monotonic clock that moves only when told (a check "takes" what it is told)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_wait_is_estimated_from_the_queue_and_the_measured_check() -> None:
    clock = SteppedClock()
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=100, monotonic=clock)

    def one_second() -> None:
        clock.now += 1.0

    with checks.admit():
        checks.run(one_second)
    assert checks.load().check_seconds == 1.0
    with checks.admit(), checks.admit(), checks.admit():
        # Three ahead on one worker at 1 s each: a newcomer would wait 3 s, still usable.
        with checks.admit():
            # Four ahead: 4 s is past max_wait; come back in about 1 s, when it is not.
            with pytest.raises(ServiceBusy) as refused:
                with checks.admit():
                    pass
    assert refused.value.extras == {"retry_after": 1}
    assert checks.load().admitted == 0
    assert checks.load().refused == 1


def test_admitted_requests_are_capped_before_any_check_was_measured() -> None:
    checks = AnswerChecks(workers=2, max_wait=3.0, max_queue=1)
    with checks.admit(), checks.admit(), checks.admit():
        assert checks.busy() is not None
        with pytest.raises(ServiceBusy):
            with checks.admit():
                pass
    assert checks.busy() is None


def test_checks_run_in_arrival_order_at_most_workers_at_once() -> None:
    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=10)
    release = threading.Event()
    order: list[str] = []
    running = 0
    most = 0
    lock = threading.Lock()

    def check(name: str) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            order.append(name)
        release.wait(WAIT)
        with lock:
            running -= 1

    threads = []
    for index, name in enumerate(["first", "second", "third", "fourth"]):
        thread = threading.Thread(target=checks.run, args=(lambda n=name: check(n),))
        thread.start()
        threads.append(thread)
        # The next one arrives only once this one is running or queued.
        wait_for(lambda i=index: checks.load().checking + checks.load().waiting == i + 1)
    release.set()
    for thread in threads:
        thread.join(WAIT)
    assert order == ["first", "second", "third", "fourth"]
    assert most == 1


# -- the service over HTTP ------------------------------------------------------------------


@pytest.fixture
def small_pool(settings: ServiceSettings) -> ServiceSettings:
    """One worker and room for one more admitted request: two fill it."""
    return settings.model_copy(
        update={"admission": Admission(workers=1, max_wait=3.0, max_queue_per_worker=1)}
    )


@pytest.fixture
def busy_live(
    small_pool: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    with start_service(small_pool, masters, clock) as running:
        yield running


@contextmanager
def pool_held(checks: AnswerChecks, count: int) -> Iterator[None]:
    """count admitted requests whose checks hold the pool until the block ends."""
    release = threading.Event()
    failed: list[BaseException] = []

    def occupy() -> None:
        try:
            with checks.admit():
                checks.run(lambda: release.wait(WAIT))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=occupy) for _ in range(count)]
    before = checks.load().admitted
    for thread in threads:
        thread.start()
    wait_for(lambda: checks.load().admitted == before + count, what="the pool to fill")
    try:
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join(WAIT)
        assert not failed


def kiosk(live: RunningService, name: str = "ward-7") -> httpx.Client:
    return httpx.Client(
        base_url=live.url,
        headers={"Authorization": f"Bearer {live.tokens[name]}"},
        timeout=WAIT,
    )


def start_unlock(http: httpx.Client, masters: MasterKeys, holder: dict[str, Any]) -> dict[str, Any]:
    nonce = http.post("/v1/nonces").json()["nonce"]
    mac = card_mac(masters, holder["serial"], bytes.fromhex(nonce)).hex()
    started = http.post(
        "/v1/unlocks",
        json=proof_body(holder, nonce, mac),
    )
    assert started.status_code == 201, started.text
    body: dict[str, Any] = started.json()
    return body


def answers_for(unlock: dict[str, Any], holder: dict[str, Any], right: bool) -> dict[str, Any]:
    given = {
        q["id"]: holder["answers"][q["id"]] if right else "not it" for q in unlock["questions"]
    }
    return {"answers": given}


def assert_busy(response: httpx.Response) -> int:
    """A 503 service_busy with a Retry-After that agrees with its body; the seconds."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "service_busy"
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    assert body["retry_after"] == retry_after
    return retry_after


def test_a_refused_answer_counted_nothing_and_its_retry_with_the_same_key_runs(
    busy_live: RunningService, masters: MasterKeys
) -> None:
    holder = busy_live.holder("locked")
    checks = busy_live.service.answer_checks
    with kiosk(busy_live) as http:
        unlock = start_unlock(http, masters, holder)
        assert unlock["attempts_left"] == 3
        path = f"/v1/unlocks/{unlock['unlock_id']}/answers"
        wrong = answers_for(unlock, holder, right=False)
        key = {"Idempotency-Key": secrets.token_hex(16)}
        audit_before = list(busy_live.service.export_audit())

        with pool_held(checks, checks.capacity):
            assert_busy(http.post(path, json=wrong, headers=key))
            # Health and readiness answer while the pool is full; readiness says busy.
            health = httpx.get(f"{busy_live.url}/v1/health", timeout=WAIT)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            assert_busy(httpx.get(f"{busy_live.url}/v1/ready", timeout=WAIT))

        view = busy_live.service.show_holder(holder["uuid"])
        assert view is not None
        assert view["failed_attempts"] == 0
        assert not view["locked"]
        assert list(busy_live.service.export_audit()) == audit_before

        ready = httpx.get(f"{busy_live.url}/v1/ready", timeout=WAIT)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        # The same request with the same key is processed now, counted once.
        retried = http.post(path, json=wrong, headers=key)
        assert retried.status_code == 422, retried.text
        assert retried.json()["code"] == "answers_wrong"
        assert retried.json()["attempts_left"] == 2
        replayed = http.post(path, json=wrong, headers=key)
        assert replayed.json() == retried.json()
    view = busy_live.service.show_holder(holder["uuid"])
    assert view is not None
    assert view["failed_attempts"] == 1


def test_an_admitted_answer_waits_its_turn_while_later_ones_are_refused(
    busy_live: RunningService, masters: MasterKeys
) -> None:
    holder = busy_live.holder("locked")
    checks = busy_live.service.answer_checks
    with kiosk(busy_live) as first, kiosk(busy_live, "ra-desk") as second:
        queued_unlock = start_unlock(first, masters, holder)
        refused_unlock = start_unlock(second, masters, holder)
        with ThreadPoolExecutor(max_workers=1) as pool, pool_held(checks, 1):
            # One worker busy: the next answer is admitted and waits for it.
            queued = pool.submit(
                first.post,
                f"/v1/unlocks/{queued_unlock['unlock_id']}/answers",
                json=answers_for(queued_unlock, holder, right=True),
                headers={"Idempotency-Key": secrets.token_hex(16)},
            )
            wait_for(lambda: checks.load().waiting == 1, what="the answer to queue")
            assert not queued.done()
            # The pool is now full: a third is refused at once, and health still answers.
            assert_busy(
                second.post(
                    f"/v1/unlocks/{refused_unlock['unlock_id']}/answers",
                    json=answers_for(refused_unlock, holder, right=True),
                )
            )
            assert httpx.get(f"{busy_live.url}/v1/health", timeout=WAIT).status_code == 200
        answered = queued.result(timeout=WAIT)
    assert answered.status_code == 200, answered.text
    assert answered.json()["code_sent_to"].endswith("@nhs.net")


def test_many_callers_past_a_full_pool_are_all_refused_and_none_is_kept(
    busy_live: RunningService, masters: MasterKeys
) -> None:
    holder = busy_live.holder("locked")
    checks = busy_live.service.answer_checks
    callers = 40
    with kiosk(busy_live) as http:
        unlock = start_unlock(http, masters, holder)
        path = f"/v1/unlocks/{unlock['unlock_id']}/answers"
        body = answers_for(unlock, holder, right=False)
        refused_before = checks.load().refused
        with pool_held(checks, checks.capacity):
            held_threads = threading.active_count()
            with ThreadPoolExecutor(max_workers=callers) as pool:
                answers = list(pool.map(lambda _: http.post(path, json=body), range(callers)))
            # Nothing was queued for them: what is admitted stays what the pool holds,
            # and they took no thread of the service's (the callers' pool has ended).
            assert checks.load().admitted == checks.capacity
            assert threading.active_count() <= held_threads
        for answer in answers:
            assert_busy(answer)
    assert checks.load().refused - refused_before >= callers
    view = busy_live.service.show_holder(holder["uuid"])
    assert view is not None
    assert view["failed_attempts"] == 0


def test_registration_answers_are_admitted_too(
    busy_live: RunningService, masters: MasterKeys
) -> None:
    checks = busy_live.service.answer_checks
    holder = busy_live.holder("unregistered")
    with kiosk(busy_live) as http:
        nonce = http.post("/v1/nonces").json()["nonce"]
        mac = card_mac(masters, holder["serial"], bytes.fromhex(nonce), key="holder_auth").hex()
        started = http.post(
            "/v1/registrations",
            json={
                **proof_body(holder, nonce, mac),
                "email": "someone@nhs.net",
                "mobile": "07700900003",
                "terms_version": busy_live.service.terms_version,
            },
        )
        assert started.status_code == 201, started.text
        path = f"/v1/registrations/{started.json()['registration_id']}/answers"
        answers = {"answers": {"q01": "first", "q02": "second", "q03": "third", "q04": "fourth"}}
        key = {"Idempotency-Key": secrets.token_hex(16)}
        with pool_held(checks, checks.capacity):
            assert_busy(http.put(path, json=answers, headers=key))
        accepted = http.put(path, json=answers, headers=key)
    assert accepted.status_code == 200, accepted.text


def test_a_busy_refusal_comes_before_the_token_is_looked_up(busy_live: RunningService) -> None:
    checks = busy_live.service.answer_checks
    path = f"{busy_live.url}/v1/unlocks/{'0' * 32}/answers"
    body = {"answers": {"q01": "anything"}}
    with pool_held(checks, checks.capacity):
        # No thread, no store: not even the token is checked while answering is full.
        assert_busy(httpx.post(path, json=body, timeout=WAIT))
    assert httpx.post(path, json=body, timeout=WAIT).status_code == 401


def test_checks_run_on_nicer_threads_than_their_callers() -> None:
    """Hashing yields the CPU to health and the cheap endpoints (issue 14). Per-thread
    niceness is Linux's, the only platform the service is deployed on."""

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    checks = AnswerChecks(workers=1, max_wait=3.0, max_queue=1, nice=5)
    with checks.admit():
        assert checks.run(niceness) == min(19, niceness() + 5)
    plain = AnswerChecks(workers=1, max_wait=3.0, max_queue=1)
    with plain.admit():
        assert plain.run(niceness) == niceness()


@contextmanager
def store_held(live: RunningService) -> Iterator[None]:
    """Hold what every authenticated request must write (its kiosk's count) until the end."""
    engine = live.service.engine
    with engine.connect() as conn:
        conn.begin()  # on SQLite, this is the store's one write turn
        if conn.dialect.name == "postgresql":
            # Reads go on; every insert or update of a count waits.
            conn.exec_driver_sql("LOCK TABLE rate_limits IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def test_health_and_ready_answer_while_requests_are_stuck_on_the_store(
    live_service: RunningService,
) -> None:
    """Workers parked on a locked store take no turn from health or readiness (issue 14)."""
    group = live_service.service.group_commit
    callers = 45  # more than the server's 40 worker threads
    with ThreadPoolExecutor(callers) as pool, kiosk(live_service) as http:
        with store_held(live_service):
            stuck = [pool.submit(http.get, "/v1/questions") for _ in range(callers)]
            # Every request parked on the store: their token checks and counts wait,
            # together, for the store's write turn (service/group_commit.py).
            wait_for(lambda: group.waiting == callers, what="requests to park on the store")
            health = httpx.get(f"{live_service.url}/v1/health", timeout=WAIT)
            ready = httpx.get(f"{live_service.url}/v1/ready", timeout=WAIT)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            assert not any(f.done() for f in stuck)  # none can pass the held store
        assert [f.result().status_code for f in stuck] == [200] * callers
