"""Opening the store: engine set-up and migrations."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_RELAXED = "ssu_relaxed_durability"
#: SQLite connections an engine keeps open.
SQLITE_POOL = 64
#: Seconds a SQLite writer waits for its turn before "database is locked".
BUSY_TIMEOUT = 30.0


def open_engine(url: str, pool_size: int = 20) -> Engine:
    """An engine for the store at url, with SQLite made safe for concurrent writers.

    Args:
        url: SQLAlchemy URL; a relative SQLite path is relative to the working
            directory and its parent directory is created.
        pool_size: PostgreSQL connections kept open (and 10 more under load).

    Returns:
        The engine.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=10)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    writers = _writer_connection(database)
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False, "factory": writers},
        # More than the threads that can hold a connection at once (the server's 40
        # for the cheap routes, plus the answer steps' own): a connection past the
        # pool is opened (WAL and pragmas set) and closed per request, which under
        # load cost more than the request (issue 14 item 4). They are file handles.
        pool_size=SQLITE_POOL,
        max_overflow=SQLITE_POOL,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: read-check-update sequences (counters,
        # nonces, idempotency keys) then cannot interleave between requests.
        dbapi_connection = conn.connection.dbapi_connection
        relaxed = bool(conn.get_execution_options().get(_RELAXED, False))
        if dbapi_connection.relaxed != relaxed:
            # SQLite refuses to change this inside a transaction; set on pooled
            # connections only when it changes.
            conn.exec_driver_sql(f"PRAGMA synchronous={'NORMAL' if relaxed else 'FULL'}")
            dbapi_connection.relaxed = relaxed
        dbapi_connection.take_turn()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            dbapi_connection.end_turn()
            raise

    return engine


_TURNS_LOCK = threading.Lock()
_TURNS: dict[str, tuple[threading.Lock, list[int]]] = {}


def _new_turn() -> tuple[threading.Lock, list[int]]:
    # The lock file's descriptor, opened by the first writer, is kept in the list.
    return threading.Lock(), []


def _writer_connection(database: str | None) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose writers take turns before BEGIN IMMEDIATE.

    SQLite makes a writer that finds the file locked sleep and poll (1, 2, 5 ... 100 ms
    apart), so with many writers at once a cheap transaction waited up to seconds
    behind ones that took a millisecond (issue 14 item 4: p95 of 0.2-0.7 s on
    /v1/nonces at 16 connections). Here writers queue where a release wakes the next
    at once: a lock per file for this process's threads, then an exclusive `flock` on a
    file beside the database for the other instances on the same file. SQLite's
    own lock stays the authority; the queue only means it is free when asked for.
    """
    on_file = database is not None and database not in ("", ":memory:")
    lock_path = str(Path(f"{database}-writers").expanduser().resolve()) if on_file else None
    with _TURNS_LOCK:
        # One turn per file and process, whatever the engines: two engines on one file
        # in one process never wait on each other's flock (which has no timeout).
        turn, shared = _TURNS.setdefault(lock_path or f"memory-{len(_TURNS)}", _new_turn())

    class TakingTurns(sqlite3.Connection):
        _turn_held = False
        relaxed = False
        """Whether this connection's synchronous is NORMAL (see `begin`), not FULL."""

        def take_turn(self) -> None:
            # The same patience as SQLite's busy timeout, and the same answer after it.
            if not turn.acquire(timeout=BUSY_TIMEOUT):
                raise sqlite3.OperationalError("database is locked")
            try:
                if lock_path is not None:
                    if not shared:
                        shared.append(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600))
                    fcntl.flock(shared[0], fcntl.LOCK_EX)
            except BaseException:
                turn.release()
                raise
            self._turn_held = True

        def end_turn(self) -> None:
            if not self._turn_held:
                return
            self._turn_held = False
            try:
                if shared:
                    fcntl.flock(shared[0], fcntl.LOCK_UN)
            finally:
                turn.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.end_turn()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.end_turn()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.end_turn()

    return TakingTurns


def begin(conn: Connection, *, durable: bool = True) -> None:
    """Begin a transaction on conn; durable=False commits it without waiting for the disk.

    A relaxed commit is never lost to a crash of the service, only to a power cut or a
    crash of the machine right after it. For writes whose loss there is harmless (a
    kiosk's per-minute request count, a fresh nonce), never for a rule's state. SQLite
    in WAL mode keeps the order: the next full commit makes earlier relaxed ones
    durable too.
    """
    if conn.dialect.name == "sqlite":
        # Read by the "begin" listener of `open_engine` before BEGIN IMMEDIATE.
        conn.execution_options(**{_RELAXED: not durable})
    conn.begin()
    if not durable and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _use_wal(cursor: Any, patience: float = 30.0) -> None:
    """Put the file in WAL mode, waiting while another process holds it.

    Switching the journal mode needs the file to itself, and SQLite answers "database
    is locked" at once rather than through the busy handler when instances start
    together on a new file (seen: three migrating processes, about one run in six).
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


#: PostgreSQL advisory lock key held while migrating ("ssu-migr" in ASCII).
MIGRATION_LOCK = 0x7373752D6D696772


def migrate(engine: Engine) -> None:
    """Bring the store up to the newest migration (idempotent).

    Every instance migrates on start, and several may start at once. SQLite's
    BEGIN IMMEDIATE already queues them; on PostgreSQL a transaction-scoped advisory
    lock does, so the later ones find the store at head instead of racing its DDL.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
