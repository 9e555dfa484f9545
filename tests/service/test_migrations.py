"""Alembic migrations on both backends: from empty, from every earlier revision, and back.

There is one release so far (revision 0001, the frozen initial store), so "from the
previous release" is "from empty"; the loop over earlier revisions covers the next one
without change: a store at each earlier revision, holding a holder and an audit record,
is brought to head and keeps them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from service.store import MIGRATIONS, migrate, open_engine
from service.tables import metadata


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def to_revision(engine: Engine, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def matches_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata) == []


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


REPO = Path(__file__).resolve().parents[2]
REVISIONS = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
HEAD = REVISIONS[0]


def test_upgrade_from_empty_reaches_head_with_exactly_the_tables(engine: Engine) -> None:
    assert inspect(engine).get_table_names() == []
    migrate(engine)
    assert current(engine) == HEAD
    assert matches_tables(engine)


@pytest.mark.parametrize("start", REVISIONS)
def test_upgrade_from_each_revision_keeps_the_rows(engine: Engine, start: str) -> None:
    to_revision(engine, start)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO holders (uuid, serial, name, email, mobile, registered, "
                "failed_attempts, demo) VALUES ('555000000001', '5353550000000001', "
                "'Priya Shah', 'priya.shah@nhs.net', '07700900123', false, 2, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO audit (at, recorded_at, source, type, outcome, detail) "
                "VALUES ('2026-11-29T17:00:00Z', 1795971600.0, 'ra', 'holder_added', 'ok', '{}')"
            )
        )
    migrate(engine)
    assert current(engine) == HEAD
    assert matches_tables(engine)
    with engine.connect() as conn:
        holder = conn.execute(text("SELECT failed_attempts FROM holders")).one()
        assert holder.failed_attempts == 2
        assert conn.execute(text("SELECT count(*) FROM audit")).scalar() == 1


def test_downgrade_to_empty_and_up_again(engine: Engine) -> None:
    migrate(engine)
    to_revision(engine, "base", down=True)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert current(engine) == HEAD
    assert matches_tables(engine)
    # The append-only guard on the audit came back with the table.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit (at, recorded_at, source, type, outcome, detail) "
                "VALUES ('2026-11-29T17:00:00Z', 1795971600.0, 'ra', 'test', 'ok', '{}')"
            )
        )
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit"))


#: What `ssu-service serve` does to the store on start, at a given moment (a barrier
#: across processes: alembic's context is process-global, so threads cannot stand in).
START_AT = """
import sys, time
from service.store import migrate, open_engine
engine = open_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
migrate(engine)
"""


def test_instances_starting_at_once_on_a_fresh_store_migrate_it_once(db_url: str) -> None:
    """Every `ssu-service serve` migrates on start; several started together on a new
    (or a not yet upgraded) store must not trip over each other's DDL."""
    at = time.time() + 5.0
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", START_AT, db_url, str(at)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=90)[0] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0], "\n".join(o[-1500:] for o in outputs)
    engine = open_engine(db_url)
    try:
        assert current(engine) == HEAD
        assert matches_tables(engine)
    finally:
        engine.dispose()
