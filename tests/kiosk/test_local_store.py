"""The kiosk's local store: checkpoint, outbox, cache (docs/design.md section 5)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import Checkpoint, Journey, Step
from kiosk.store import CHECKPOINT_FIELDS, LocalStore, SecretRefused, retry_delay
from tests.kiosk.kiosk_journey import (
    LOCKED,
    QUESTIONS,
    SECRETS,
    T0,
    UNLOCK_ID,
    Driver,
    first_screen,
)

CHECKPOINT = Checkpoint(
    journey=Journey.UNLOCK,
    step=Step.CODE,
    serial=LOCKED.serial,
    service_id=UNLOCK_ID,
    started_at=T0,
    updated_at=T0 + dt.timedelta(minutes=1),
    expires_at=T0 + dt.timedelta(minutes=30),
    attempts_left=None,
    tries_left=2,
    code_sent_to="j***@nhs.net",
    code_sent_at=T0 + dt.timedelta(minutes=1),
    code_expires_at=T0 + dt.timedelta(minutes=16),
    questions=QUESTIONS,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "kiosk.sqlite"


@pytest.fixture
def store(path: Path) -> LocalStore:
    return LocalStore(path)


def test_file_is_in_wal_mode(store: LocalStore, path: Path) -> None:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


# ---------------------------------------------------------------- checkpoint


def test_checkpoint_round_trip_and_survives_reopen(store: LocalStore, path: Path) -> None:
    assert store.load_checkpoint() is None
    store.save_checkpoint(CHECKPOINT)
    assert store.load_checkpoint() == CHECKPOINT
    store.close()
    again = LocalStore(path)
    assert again.load_checkpoint() == CHECKPOINT
    again.clear_checkpoint()
    assert again.load_checkpoint() is None


def test_a_new_checkpoint_replaces_the_old(store: LocalStore) -> None:
    store.save_checkpoint(CHECKPOINT)
    later = Checkpoint(**{**CHECKPOINT.__dict__, "step": Step.NEW_PASSCODE, "tries_left": None})
    store.save_checkpoint(later)
    assert store.load_checkpoint() == later


@pytest.mark.parametrize(
    "secret_field", ["passcode", "new_passcode", "answers", "code", "cryptogram", "pin", "note"]
)
def test_a_field_outside_the_allow_list_is_refused(store: LocalStore, secret_field: str) -> None:
    record = {**CHECKPOINT.to_record(), secret_field: "583920"}
    with pytest.raises(SecretRefused, match=secret_field):
        store.save_checkpoint(record)
    assert store.load_checkpoint() is None


@pytest.mark.parametrize(
    "smuggled",
    [
        {"code_sent_to": {"code": "73915082"}},
        {"attempts_left": "583920"},
        {"questions": [{"id": "q01", "text": "Pet?", "answer": "Rex"}]},
    ],
)
def test_a_value_of_the_wrong_shape_is_refused(
    store: LocalStore, smuggled: dict[str, object]
) -> None:
    with pytest.raises(SecretRefused):
        store.save_checkpoint({**CHECKPOINT.to_record(), **smuggled})
    assert store.load_checkpoint() is None


def test_the_table_has_only_allow_listed_columns(store: LocalStore, path: Path) -> None:
    conn = sqlite3.connect(path)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(checkpoint)")}
    conn.close()
    assert columns == {"id", *CHECKPOINT_FIELDS}


def test_a_damaged_checkpoint_is_treated_as_none(store: LocalStore, path: Path) -> None:
    store.save_checkpoint(CHECKPOINT)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE checkpoint SET step = 'from-the-future'")
    conn.commit()
    conn.close()
    assert store.load_checkpoint() is None
    assert store.load_checkpoint() is None  # and it was wiped


@pytest.mark.parametrize(
    ("card", "now", "resumed"),
    [
        (LOCKED, T0 + dt.timedelta(minutes=5), True),
        (
            LOCKED.__class__(**{**LOCKED.__dict__, "serial": "ffffffffffffffff"}),
            T0 + dt.timedelta(minutes=5),
            False,
        ),
        (LOCKED, T0 + dt.timedelta(minutes=30), False),
    ],
    ids=["same card, window open", "other card", "window closed"],
)
def test_resume_rules_through_the_store(
    path: Path, card: object, now: dt.datetime, resumed: bool
) -> None:
    """A restart: the app loads the checkpoint, starts the flow with it, reads the card."""
    first = LocalStore(path)
    first.save_checkpoint(CHECKPOINT)
    first.close()
    store = LocalStore(path)
    d = Driver(s.KioskState.start(now=now, checkpoint=store.load_checkpoint()))
    commands = d.send(e.CardInserted(), e.CardRead(card))  # type: ignore[arg-type]
    apply(store, commands, now)
    if resumed:
        assert isinstance(d.screen, s.CodeEntry)
        assert store.load_checkpoint() == CHECKPOINT
    else:
        assert first_screen(d.screen)
        assert store.load_checkpoint() is None


# ---------------------------------------------------------------- outbox


def test_outbox_keeps_order_and_survives_reopen(store: LocalStore, path: Path) -> None:
    ids = [store.outbox.add({"n": n}, now=T0 + dt.timedelta(seconds=n)) for n in range(5)]
    store.close()
    again = LocalStore(path)
    pending = again.outbox.pending()
    assert [item.id for item in pending] == ids
    assert [item.payload for item in pending] == [{"n": n} for n in range(5)]
    assert all(item.attempts == 0 for item in pending)
    again.outbox.delivered(ids[:2])
    assert [item.id for item in again.outbox.pending()] == ids[2:]
    assert len(again.outbox) == 3


def test_outbox_ids_are_stable_and_adding_one_twice_keeps_one(store: LocalStore) -> None:
    first = store.outbox.add({"type": "x"}, now=T0, item_id="event-1")
    second = store.outbox.add({"type": "x"}, now=T0, item_id="event-1")
    assert first == second == "event-1" and len(store.outbox) == 1
    generated = store.outbox.add({"type": "y"}, now=T0)
    assert len(generated) == 36


def test_failed_delivery_backs_off_and_keeps_the_order(store: LocalStore) -> None:
    a = store.outbox.add({"n": 1}, now=T0)
    b = store.outbox.add({"n": 2}, now=T0)
    assert [i.id for i in store.outbox.due(T0)] == [a, b]
    store.outbox.failed([a, b], now=T0)
    assert store.outbox.due(T0) == []
    assert store.outbox.due(T0 + dt.timedelta(seconds=1)) == []
    due = store.outbox.due(T0 + retry_delay(1))
    assert [i.id for i in due] == [a, b] and due[0].attempts == 1
    store.outbox.failed([a], now=T0)
    store.outbox.failed([a], now=T0)
    # The head waits out its backoff, so b may not overtake it.
    assert store.outbox.due(T0 + dt.timedelta(seconds=3)) == []


def test_retry_delay_grows_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert retry_delay(50) == dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "x", "passcode": "583920"},
        {"type": "x", "detail": {"answers": {"q01": "a"}}},
        {"type": "x", "detail": [{"Code": "73915082"}]},
    ],
)
def test_outbox_refuses_secret_keys(store: LocalStore, payload: dict[str, object]) -> None:
    with pytest.raises(SecretRefused):
        store.outbox.add(payload, now=T0)
    assert len(store.outbox) == 0


def test_store_works_from_another_thread(store: LocalStore) -> None:
    """The app's exclusive worker thread uses the store the app thread opened."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            store.outbox.add({"type": "from-worker"}, now=T0)
            store.save_checkpoint(CHECKPOINT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert errors == []
    assert store.load_checkpoint() == CHECKPOINT and len(store.outbox) == 1


# ---------------------------------------------------------------- cache


def test_cache_round_trip_replace_and_reopen(store: LocalStore, path: Path) -> None:
    assert store.cache.get("questions") is None
    catalogue = {"version": "1", "questions": [{"id": "q01", "text": "Pet?"}]}
    store.cache.put("questions", catalogue, fetched_at=T0)
    store.cache.put("questions", {**catalogue, "version": "2"}, fetched_at=T0 + dt.timedelta(1))
    store.close()
    entry = LocalStore(path).cache.get("questions")
    assert entry is not None
    assert entry.value["version"] == "2" and entry.fetched_at == T0 + dt.timedelta(1)


# ---------------------------------------------------------------- no secret on disk


def apply(store: LocalStore, commands: list[c.Command], now: dt.datetime) -> None:
    """What the app does with the flow's store commands."""
    for command in commands:
        if isinstance(command, c.SaveCheckpoint):
            store.save_checkpoint(command.checkpoint)
        elif isinstance(command, c.ClearCheckpoint):
            store.clear_checkpoint()
        elif isinstance(command, c.QueueAudit):
            store.outbox.add(
                {
                    "type": command.type,
                    "outcome": command.outcome,
                    "at": (command.at or now).isoformat(),
                    "serial": command.serial,
                    "uuid": command.uuid,
                    "detail": dict(command.detail),
                },
                now=now,
            )
        elif isinstance(command, c.QueueResultReport):
            store.outbox.add(
                {
                    "unlock_id": command.unlock_id,
                    "outcome": command.outcome,
                    "status_word": command.status_word,
                },
                now=now,
                kind="unlock_result",
            )


def file_bytes(path: Path) -> bytes:
    data = b""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            data += candidate.read_bytes()
    return data


@pytest.mark.parametrize("stop_at", ["new_passcode", "unlocked"])
def test_no_secret_in_the_database_files_after_a_journey(path: Path, stop_at: str) -> None:
    store = LocalStore(path)
    d = Driver.new()
    d.at_new_passcode() if stop_at == "new_passcode" else d.at_writing()
    if stop_at == "unlocked":
        d.send(e.ChallengeRead(), e.CryptogramReceived(), e.CardWritten(result_reported=False))
    apply(store, d.commands, T0)
    # The flow did save progress and audit events: the scan is not of an empty file.
    assert len(store.outbox) > 3
    raw = file_bytes(path)
    assert LOCKED.serial.encode() in raw and UNLOCK_ID.encode() in raw
    for secret in SECRETS:
        for encoded in (secret.encode(), secret.encode("utf-16-le")):
            assert encoded not in raw, secret
    store.close()
    raw = file_bytes(path)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
