"""Fault matrix, the kiosk's own disk (docs/reliability.md): the store's directory
fills up, or turns read-only, in the middle of an unlock.

Expected: the holder notices nothing; the unlock completes; only the resume after a
crash is lost while the disk is unusable; audit events wait in memory and reach the
service once, none lost and none twice.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from card.reader import CardSession
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from kiosk.settings import KioskSettings
from kiosk.store import open_store
from tests.app.conftest import holder, kiosk_on
from tests.app.journey import SIZE, Holder, audit_export, card_in, fields_ready, on, until
from tests.conftest import READER

pytestmark = pytest.mark.pcsc
NEW = "258147"


@pytest.fixture(params=["full", "read_only"])
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A 1 MiB tmpfs of our own (root), read-only for that case, unmounted afterwards.

    (A mounted file system cannot turn read-only while SQLite holds files open on
    it, so the read-only case starts that way: the kiosk cannot open its store.)
    """
    mount = tmp_path / "disk"
    mount.mkdir()
    options = "size=1m,ro" if request.param == "read_only" else "size=1m"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path | None:
    """Fill `disk` to the last block; the file that did it, or None when the disk was full
    already (on a slow, busy machine the store's WAL alone has filled the 1 MiB before
    the test got here). Unbuffered, so nothing is left to flush when it is closed (a
    buffered file's close flushed its remainder into the full disk: ENOSPC again)."""
    filler = disk / "filler"
    try:
        f = open(filler, "wb", buffering=0)  # noqa: SIM115 - closed below; the open may fail
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        return None
    with f:
        for size in (65536, 4096, 512):  # smaller and smaller, to the very end
            try:
                while f.write(b"\0" * size):
                    pass
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


def kiosk_events(world: DemoWorld) -> list[dict[str, object]]:
    return [r for r in map(json.loads, audit_export(world).splitlines()) if r["source"] == "kiosk"]


@contextmanager
def kiosk_on_disk(disk: Path, world: DemoWorld) -> Iterator[KioskApp]:
    """The kiosk with its store on `disk` (in memory if the disk refuses it), delivering
    its outbox every half second; the store is closed after."""
    settings = KioskSettings.load(
        None,
        service_url=world.service_url,
        kiosk_token=SecretStr(world.kiosk_token),
        store=disk / "kiosk.sqlite",
        reader=READER,
    )
    with kiosk_on(world, settings, opener=open_store, demo=world.cards, outbox_seconds=0.5) as app:
        yield app


async def test_store_fault_mid_journey(world: DemoWorld, small_disk: Path) -> None:
    fault = "read_only" if os.statvfs(small_disk).f_flag & os.ST_RDONLY else "full"
    with kiosk_on_disk(small_disk, world) as app:
        async with app.run_test(size=SIZE) as pilot:
            alex = Holder(world, app, pilot)
            state = await alex.to_questions()
            # let what is queued so far reach the service, so the rest is the test
            await until(pilot, app, lambda _: len(app.store.outbox) == 0)
            before = len(kiosk_events(world))
            filler = fill(small_disk) if fault == "full" else None
            await alex.type_answers(state)
            await until(pilot, app, on(s.CodeEntry))
            await fields_ready(pilot, app)
            await alex.enter_code()
            await alex.type_new_passcode(NEW)
            await until(pilot, app, on(s.Unlocked), timeout=30)
            # the disk is still unusable: the events went from memory
            await until(pilot, app, lambda _: not app.effects.unsaved, timeout=20)
            if filler is not None:
                filler.unlink()
        with CardSession.open(READER) as session:
            session.verify(NEW)
        events = kiosk_events(world)
        ids = [e["event_id"] for e in events]
        assert len(ids) == len(set(ids)), "an event reached the service twice"
        later = {e["type"] for e in events[before:]}
        assert {"card_written", "unlocked"} & later or len(events) > before, later


async def test_store_fault_while_registering(world: DemoWorld, small_disk: Path) -> None:
    """The disk full (or read-only from the start) while a holder registers."""
    from tests.app.test_registration_app import NEW_ANSWERS, register, service_holder

    fault = "read_only" if os.statvfs(small_disk).f_flag & os.ST_RDONLY else "full"
    with kiosk_on_disk(small_disk, world) as app:
        sam = holder(world, "unregistered")
        assert world.cards is not None
        async with app.run_test(size=SIZE) as pilot:
            await card_in(pilot, app, world, "unregistered")
            filler = fill(small_disk) if fault == "full" else None
            await register(pilot, app, world, sam, NEW_ANSWERS)
            await until(pilot, app, lambda _: not app.effects.unsaved, timeout=20)
            if filler is not None:
                filler.unlink()
        assert service_holder(world, sam["uuid"]).get("registered") is True
        events = kiosk_events(world)
        ids = [e["event_id"] for e in events]
        assert len(ids) == len(set(ids)), "an event reached the service twice"
        assert {"registration_started", "registration"} <= {e["type"] for e in events}
