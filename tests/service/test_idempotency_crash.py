"""Idempotency that survives a crash (issue 13 item 10).

1. A step's commit and the answer kept for its Idempotency-Key are one
   transaction. They used to be two: a crash between them left the step done and
   the key "running", and the kiosk's repeat, once the key was taken as abandoned,
   ran the step again: a wrong answer counted twice. The crash is made exact: the
   store stops answering this instance right after the commit that recorded the
   step, as if the process had died there.
2. After a kill -9, the keys of the requests that were cut off stop answering
   409 request_in_progress within seconds (the dead instance stops beating), not
   after the two-minute bound. Real `ssu-service serve` processes on one store.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, select

from card.keys import MasterKeys, write_master_keys
from service.assembly import mailer_for
from service.domain.idempotency import IDEMPOTENCY_STALE
from service.selfservice import SelfService
from service.settings import ServiceSettings
from service.store import open_engine
from service.tables import idempotency
from tests.load.test_load import Instance, cli, start_instance, wait_healthy
from tests.service.conftest import (
    CHEAP_ARGON2,
    Mailbox,
    MovableClock,
    RunningService,
    wait_for,
)
from tests.service.holder_steps import bearer, unlock_over_http
from tests.support import BlackHole


class SimulatedCrash(Exception):
    """The process died here."""


@contextlib.contextmanager
def dies_after_commit_of(engine: Engine, audit_type: str, outcome: str) -> Iterator[None]:
    """The instance dies right after committing the transaction that audits this step."""
    state = {"armed": False, "dead": False}

    def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if state["dead"]:
            raise SimulatedCrash
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT") and (
            audit_type in repr(params) and outcome in repr(params)
        ):
            state["armed"] = True

    real_commit = engine.dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        real_commit(dbapi_connection)
        if state["armed"]:
            state["dead"] = True

    event.listen(engine, "before_cursor_execute", before)
    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        engine.dialect.do_commit = real_commit  # type: ignore[method-assign]


def test_a_crash_right_after_the_step_commits_does_not_count_it_twice(
    live_service: RunningService, masters: MasterKeys, clock: MovableClock
) -> None:
    holder = live_service.holder("locked")
    token = live_service.tokens["ward-7"]
    started = unlock_over_http(live_service.url, token, masters, holder)
    wrong = {"answers": {q["id"]: "not the answer" for q in started["questions"]}}
    path = f"{live_service.url}/v1/unlocks/{started['unlock_id']}/answers"
    key = secrets.token_hex(8)

    with dies_after_commit_of(live_service.service.engine, "unlock_answers", "answers_wrong"):
        # Whatever this instance managed to answer before it "died" is lost on the way.
        httpx.post(path, json=wrong, headers=bearer(token, key))
    # The instance is restarted on the same store; the kiosk repeats its request once
    # any record the crash left has been abandoned.
    clock.advance(IDEMPOTENCY_STALE + 1)
    repeat = httpx.post(path, json=wrong, headers=bearer(token, key))

    assert repeat.status_code == 422, repeat.text
    assert repeat.json()["code"] == "answers_wrong"
    assert repeat.json()["attempts_left"] == 2
    view = live_service.service.show_holder(holder["uuid"])
    assert view is not None and view["failed_attempts"] == 1


@pytest.fixture
def store(
    db_url: str, tmp_path: Path, masters: MasterKeys, smtp_server: tuple[Mailbox, int]
) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """A migrated store with the demo holders and a kiosk, and its keys file."""
    keys = write_master_keys(tmp_path / "keys.toml", masters)
    settings = ServiceSettings(db=db_url, keys=keys, argon2=CHEAP_ARGON2)
    engine = open_engine(db_url)
    service = SelfService(settings, engine, masters, mailer_for(settings))
    try:
        cli("kiosk", "add", "warm-up", "--db", db_url)  # migrates the store
        demo = service.seed_demo()
        token = secrets.token_urlsafe(32)
        service.add_kiosk("ward-7", token)
        yield db_url, keys, {"token": token, "holder": demo["holders"][0]}
    finally:
        engine.dispose()


def test_after_a_kill_9_the_cut_off_request_is_answered_within_seconds(
    store: tuple[str, Path, dict[str, Any]],
    masters: MasterKeys,
    smtp_server: tuple[Mailbox, int],
    tmp_path: Path,
) -> None:
    db, keys, data = store
    token, holder = data["token"], data["holder"]
    relay = BlackHole()  # the first instance's code mail hangs: the request is cut off
    first = start_instance(db, keys, relay.port, tmp_path / "first.log")
    second: Instance | None = None
    try:
        wait_healthy(first)
        started = unlock_over_http(first.url, token, masters, holder)
        right = {"answers": {q["id"]: holder["answers"][q["id"]] for q in started["questions"]}}
        path = f"/v1/unlocks/{started['unlock_id']}/answers"
        key = secrets.token_hex(8)

        def cut_off() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{first.url}{path}", json=right, headers=bearer(token, key), timeout=60)

        threading.Thread(target=cut_off, daemon=True).start()
        wait_for(relay.accepted.is_set, what="the code mail to be under way")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)

        second = start_instance(db, keys, smtp_server[1], tmp_path / "second.log")
        wait_healthy(second)
        engine = open_engine(db)
        try:
            with engine.connect() as conn:
                states = conn.execute(select(idempotency.c.state)).scalars().all()
        finally:
            engine.dispose()
        assert "running" in states  # the cut-off request's key, left by the kill

        # The kiosk repeats with the same key, as its client does: "in progress" for
        # a few seconds at most (the dead instance's beats going stale), then served.
        # Without the beats this stays 409 for 120 s; the wait is bounded well below.
        def served() -> httpx.Response | None:
            answer = httpx.post(
                f"{second.url}{path}", json=right, headers=bearer(token, key), timeout=30
            )
            if answer.status_code == 409 and answer.json()["code"] == "request_in_progress":
                return None
            return answer

        # Polled a few times a second, as a kiosk would: well inside its throttle.
        deadline = time.monotonic() + 45
        answer = served()
        while answer is None and time.monotonic() < deadline:
            time.sleep(0.25)
            answer = served()
        assert answer is not None, "still 409 request_in_progress after 45 s"
        assert answer.status_code == 200, answer.text
        smtp_server[0].code(holder["email"], 1)  # and the code went, once
    finally:
        relay.close()
        first.stop()
        if second is not None:
            second.stop()
