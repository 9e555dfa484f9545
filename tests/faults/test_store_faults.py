"""Fault matrix, the kiosk's own disk (docs/reliability.md): the store's directory
fills up, or turns read-only, in the middle of an unlock.

Expected: the holder notices nothing; the unlock completes; only the resume after a
crash is lost while the disk is unusable; audit events wait in memory and reach the
service once, none lost and none twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from card.reader import CardSession
from demo.world import DemoWorld
from kiosk.app import KioskApp, make_app
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.store import LocalStore, open_store
from tests.app.conftest import holder, latest_code
from tests.app.journey import SIZE, Holder, fields_ready, on, until
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


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def kiosk_events(world: DemoWorld) -> list[dict[str, object]]:
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "export", "--db", world.db_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [r for r in map(json.loads, out.splitlines()) if r["source"] == "kiosk"]


def kiosk_on(disk: Path, world: DemoWorld) -> tuple[KioskApp, LocalStore]:
    """The kiosk with its store on `disk`, delivering its outbox every half second."""
    settings = KioskSettings.load(
        None,
        service_url=world.service_url,
        kiosk_token=SecretStr(world.kiosk_token),
        store=disk / "kiosk.sqlite",
        reader=READER,
    )
    store = open_store(settings.store)
    app = make_app(
        settings=settings,
        card=PcscCardAccess(READER),
        client=ServiceClient(world.service_url, world.kiosk_token, timeout=3.0, retries=1),
        store=store,
        demo=world.cards,
        outbox_seconds=0.5,
    )
    return app, store


async def test_store_fault_mid_journey(world: DemoWorld, small_disk: Path) -> None:
    fault = "read_only" if os.statvfs(small_disk).f_flag & os.ST_RDONLY else "full"
    app, store = kiosk_on(small_disk, world)
    async with app.run_test(size=SIZE) as pilot:
        alex = Holder(world, app, pilot)
        state = await alex.to_questions()
        # let what is queued so far reach the service, so the rest is the test
        await until(pilot, app, lambda _: len(store.outbox) == 0)
        before = len(kiosk_events(world))
        if fault == "full":
            filler = fill(small_disk)
        await alex.type_answers(state)
        await until(pilot, app, on(s.CodeEntry))
        await fields_ready(pilot, app)
        await alex.type(latest_code(world, alex.data["email"]))
        await pilot.press("enter")
        await until(pilot, app, on(s.NewPasscode))
        await fields_ready(pilot, app)
        await alex.type(NEW)
        await pilot.press("enter")
        await alex.type(NEW)
        await pilot.press("enter")
        await until(pilot, app, on(s.Unlocked), timeout=30)
        # the disk is still unusable: the events went from memory
        await until(pilot, app, lambda _: not app.effects.unsaved, timeout=20)
        if fault == "full":
            filler.unlink()
    with CardSession.open(READER) as session:
        session.verify(NEW)
    events = kiosk_events(world)
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids)), "an event reached the service twice"
    later = {e["type"] for e in events[before:]}
    assert {"card_written", "unlocked"} & later or len(events) > before, later
    store.close()


async def test_store_fault_while_registering(world: DemoWorld, small_disk: Path) -> None:
    """The disk full (or read-only from the start) while a holder registers."""
    from tests.app.test_registration_app import NEW_ANSWERS, register, service_holder

    fault = "read_only" if os.statvfs(small_disk).f_flag & os.ST_RDONLY else "full"
    app, store = kiosk_on(small_disk, world)
    sam = holder(world, "unregistered")
    assert world.cards is not None
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, on(s.WaitingForCard))
        world.cards.insert("unregistered")
        await until(pilot, app, on(s.CardStatus))
        if fault == "full":
            filler = fill(small_disk)
        await register(pilot, app, world, sam, NEW_ANSWERS)
        await until(pilot, app, lambda _: not app.effects.unsaved, timeout=20)
        if fault == "full":
            filler.unlink()
    assert service_holder(world, sam["uuid"]).get("registered") is True
    events = kiosk_events(world)
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids)), "an event reached the service twice"
    assert {"registration_started", "registration"} <= {e["type"] for e in events}
    store.close()
