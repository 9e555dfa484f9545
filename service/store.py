"""Opening the store: engine set-up and migrations."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """An engine for the store at url, with SQLite made safe for concurrent writers.

    Args:
        url: SQLAlchemy URL; a relative SQLite path is relative to the working
            directory and its parent directory is created.

    Returns:
        The engine.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

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
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
