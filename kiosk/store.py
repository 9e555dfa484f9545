"""The kiosk's local store (docs/design.md section 5): one SQLite file in WAL mode.

Three tables:
- `checkpoint`: one row, the journey's non-secret progress for the card in the
  reader, so a crash or power cut with the card still in resumes the same step.
  Only the columns of an allow-list can be written: a passcode, answer, code or
  cryptogram has no column to go to, and an attempt to save one is refused.
- `outbox`: things for the service that must not be lost (audit events, an
  unlock result that could not be reported live), each with a stable id so the
  service counts it once however often it is sent; delivered oldest first.
- `cache`: JSON values the kiosk fetched (question catalogue, service settings),
  with when they were fetched, for use while the service is down.

Threads: sqlite-utils' Database refuses use from a thread other than the one that
opened it. The app opens the store on the app thread and uses it from one
exclusive worker group, so the connection is made with
`check_same_thread=False`; a lock serialises calls anyway, so a stray call from
another thread waits its turn instead of interleaving a transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.flow.facts import Checkpoint

# The only columns a checkpoint has (Checkpoint.to_record()). Adding one is a
# deliberate act reviewed for secrecy, never a side effect of saving a new key.
CHECKPOINT_FIELDS: dict[str, type] = {
    "journey": str,
    "step": str,
    "serial": str,
    "service_id": str,
    "started_at": str,
    "updated_at": str,
    "expires_at": str,
    "attempts_left": int,
    "tries_left": int,
    "code_sent_to": str,
    "code_sent_at": str,
    "code_expires_at": str,
    "text_sent_to": str,
    "not_sent": str,
    "questions": str,
}

# Keys never accepted anywhere in an outbox payload, at any depth: a second line
# of defence behind the flow, which never puts a secret in an audit event.
SECRET_KEYS = frozenset(
    {
        "passcode",
        "new_passcode",
        "old_passcode",
        "pin",
        "puk",
        "answer",
        "answers",
        "code",
        "unlock_code",
        "cryptogram",
        "kiosk_token",
        "token",
    }
)


class SecretRefused(ValueError):
    """Something tried to store a field that is not allowed (maybe a secret)."""


@dataclass(frozen=True)
class OutboxItem:
    """One thing waiting for the service."""

    id: str
    """Stable id: the audit event id, so a resend is a duplicate, not a second event."""
    kind: str
    """What it is: "audit" or "unlock_result"."""
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime


@dataclass(frozen=True)
class CacheEntry:
    """A cached JSON value and when it was fetched."""

    value: Any
    fetched_at: dt.datetime


class LocalStore:
    """The kiosk's SQLite file: checkpoint, outbox and cache.

    Args:
        path: The database file; created with its tables when missing.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db = Database(conn)
        self._lock = threading.RLock()
        self._db.enable_wal()
        # WAL's default (NORMAL) can lose the last commits on a power cut; an
        # audit event or a checkpoint must survive one.
        self._db.execute("PRAGMA synchronous=FULL")
        self._create_tables()
        self.outbox = Outbox(self)
        self.cache = Cache(self)

    def _create_tables(self) -> None:
        with self._lock, self._db.atomic():
            self._db.create_table(
                "checkpoint",
                {"id": int, **CHECKPOINT_FIELDS},
                pk="id",
                if_not_exists=True,
            )
            # A store written before a field was added (text_sent_to: issue 18) gets
            # the column, so a kiosk upgraded mid-journey still resumes.
            checkpoint = self._db.table("checkpoint")
            for name, kind in CHECKPOINT_FIELDS.items():
                if name not in checkpoint.columns_dict:
                    checkpoint.add_column(name, kind)
            self._db.create_table(
                "outbox",
                {
                    "seq": int,
                    "id": str,
                    "kind": str,
                    "payload": str,
                    "created_at": str,
                    "attempts": int,
                    "next_attempt_at": str,
                },
                pk="seq",
                not_null=["id", "kind", "payload", "created_at", "attempts", "next_attempt_at"],
                if_not_exists=True,
            )
            self._db.execute("CREATE UNIQUE INDEX IF NOT EXISTS outbox_id ON outbox(id)")
            self._db.create_table(
                "cache",
                {"key": str, "value": str, "fetched_at": str},
                pk="key",
                if_not_exists=True,
            )

    @contextmanager
    def _transaction(self) -> Iterator[Database]:
        with self._lock, self._db.atomic() as db:
            yield db

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the main file)."""
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ checkpoint

    def save_checkpoint(self, checkpoint: Checkpoint | Mapping[str, Any]) -> None:
        """Replace the checkpoint.

        Args:
            checkpoint: The flow's checkpoint, or its record.

        Raises:
            SecretRefused: A key is not one of CHECKPOINT_FIELDS.
        """
        record = checkpoint.to_record() if isinstance(checkpoint, Checkpoint) else checkpoint
        refused = sorted(set(record) - set(CHECKPOINT_FIELDS))
        if refused:
            raise SecretRefused(f"not a checkpoint field, refused: {', '.join(refused)}")
        row: dict[str, Any] = {"id": 1}
        for key, kind in CHECKPOINT_FIELDS.items():
            value = record.get(key)
            if key == "questions":
                value = json.dumps([_question(q) for q in value or []])
            elif value is not None and (type(value) is not kind):
                # A nested value could smuggle anything past the key allow-list.
                raise SecretRefused(f"checkpoint field {key} must be {kind.__name__}")
            row[key] = value
        with self._transaction() as db:
            db.table("checkpoint").insert(row, replace=True)

    def load_checkpoint(self) -> Checkpoint | None:
        """The saved checkpoint, or None (also when it cannot be understood)."""
        with self._lock:
            rows = list(self._db.table("checkpoint").rows_where("id = 1"))
        if not rows:
            return None
        record = {key: rows[0][key] for key in CHECKPOINT_FIELDS}
        try:
            record["questions"] = json.loads(record["questions"] or "[]")
            return Checkpoint.from_record(record)
        except ValueError:
            # Written by another version or damaged: nothing safe to resume.
            self.clear_checkpoint()
            return None

    def clear_checkpoint(self) -> None:
        """Forget the checkpoint."""
        with self._transaction() as db:
            db.execute("DELETE FROM checkpoint")


class Outbox:
    """Things for the service, kept until it has them (audit events, unlock results)."""

    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def add(
        self,
        payload: Mapping[str, Any],
        *,
        now: dt.datetime,
        kind: str = "audit",
        item_id: str | None = None,
    ) -> str:
        """Queue one item.

        Args:
            payload: JSON-serialisable body; no key may be in SECRET_KEYS.
            now: When it was created (its place in the queue).
            kind: What it is ("audit", "unlock_result").
            item_id: Its stable id; a new uuid4 when not given. Adding an id that
                is already queued does nothing.

        Returns:
            The item's id.

        Raises:
            SecretRefused: The payload holds a secret key.
        """
        _refuse_secret_keys(payload)
        item_id = item_id or str(uuid.uuid4())
        row = {
            "id": item_id,
            "kind": kind,
            "payload": json.dumps(payload, sort_keys=True, default=str),
            "created_at": now.isoformat(),
            "attempts": 0,
            "next_attempt_at": now.isoformat(),
        }
        with self._store._transaction() as db:
            db.table("outbox").insert(row, ignore=True)
        return item_id

    def pending(self, limit: int | None = None) -> list[OutboxItem]:
        """Undelivered items, oldest first."""
        sql = "SELECT * FROM outbox ORDER BY seq"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._store._lock:
            rows = list(self._store._db.query(sql, params))
        return [_item(row) for row in rows]

    def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
        """The items to send now, oldest first.

        Order is kept: items are taken from the head of the queue up to the first
        one still waiting out its backoff, so a later event never overtakes an
        earlier one.
        """
        ready: list[OutboxItem] = []
        for item in self.pending(limit):
            if item.next_attempt_at > now:
                break
            ready.append(item)
        return ready

    def delivered(self, ids: Iterable[str]) -> None:
        """Remove items the service has acknowledged (accepted or duplicate)."""
        ids = list(ids)
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        with self._store._transaction() as db:
            db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", ids)

    def failed(self, ids: Iterable[str], *, now: dt.datetime) -> None:
        """Count a failed delivery and hold the items back (exponential backoff)."""
        with self._store._transaction() as db:
            for item_id in ids:
                rows = list(db.query("SELECT attempts FROM outbox WHERE id = ?", [item_id]))
                if not rows:
                    continue
                attempts = int(rows[0]["attempts"]) + 1
                when = now + retry_delay(attempts)
                db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?",
                    [attempts, when.isoformat(), item_id],
                )

    def __len__(self) -> int:
        with self._store._lock:
            rows = list(self._store._db.query("SELECT count(*) AS n FROM outbox"))
        return int(rows[0]["n"])


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after `attempts` failed deliveries: 2, 4, 8 ... seconds, at most 5 minutes."""
    return dt.timedelta(seconds=min(2 ** min(attempts, 16), 300))


class Cache:
    """JSON values fetched from the service, with when they were fetched."""

    def __init__(self, store: LocalStore) -> None:
        self._store = store

    def put(self, key: str, value: Any, *, fetched_at: dt.datetime) -> None:
        """Store or replace a value (it must be JSON-serialisable)."""
        row = {"key": key, "value": json.dumps(value), "fetched_at": fetched_at.isoformat()}
        with self._store._transaction() as db:
            db.table("cache").insert(row, replace=True)

    def get(self, key: str) -> CacheEntry | None:
        """The cached value and when it was fetched, or None."""
        with self._store._lock:
            rows = list(self._store._db.query("SELECT * FROM cache WHERE key = ?", [key]))
        if not rows:
            return None
        row = rows[0]
        return CacheEntry(
            value=json.loads(row["value"]),
            fetched_at=dt.datetime.fromisoformat(row["fetched_at"]),
        )


def _question(value: Any) -> dict[str, str]:
    # Questions are catalogue entries: exactly an id and a text, nothing else.
    if not isinstance(value, Mapping) or set(value) != {"id", "text"}:
        raise SecretRefused("checkpoint questions hold only an id and a text")
    return {"id": str(value["id"]), "text": str(value["text"])}


def _item(row: Mapping[str, Any]) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        attempts=int(row["attempts"]),
        next_attempt_at=dt.datetime.fromisoformat(row["next_attempt_at"]),
    )


def _refuse_secret_keys(value: Any, path: str = "") -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in SECRET_KEYS:
                raise SecretRefused(f"secret field refused in outbox payload: {where}")
            _refuse_secret_keys(inner, where)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _refuse_secret_keys(inner, f"{path}[{index}]")


def open_store(path: Path | str) -> LocalStore:
    """The local store at `path`, or an in-memory one if the disk refuses it.

    A kiosk that cannot write its disk (read-only, full, permissions) still unlocks
    cards: it only loses the resume after a crash, and its outbox lives in memory
    until the service has it.
    """
    try:
        return LocalStore(path)
    except (OSError, sqlite3.Error) as exc:
        logging.getLogger(__name__).error("local store unavailable (%s): running in memory", exc)
        return LocalStore(":memory:")
