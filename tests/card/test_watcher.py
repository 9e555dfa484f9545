"""Our card watcher against the real stack, including a pcscd crash and restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from card.pcscd import PrivatePcscd
from card.reader import list_readers
from card.watcher import (
    CardInserted,
    CardRemoved,
    CardServiceDown,
    CardServiceUp,
    CardWatcher,
    ReaderAdded,
    ReaderRemoved,
    WatcherEvent,
)
from tests.conftest import READER, InsertCard
from tests.support import wait_for

pytestmark = pytest.mark.pcsc


class Recorder:
    def __init__(self) -> None:
        self.events: list[WatcherEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: WatcherEvent) -> None:
        with self.lock:
            self.events.append(event)

    def seen(self, event: WatcherEvent, after: int = 0) -> int:
        """1 + index of `event` at or after `after`, or 0."""
        with self.lock:
            for i, e in enumerate(self.events[after:], after):
                if e == event:
                    return i + 1
        return 0


@pytest.fixture
def watched(live_pcscd: PrivatePcscd) -> Iterator[tuple[CardWatcher, Recorder]]:
    rec = Recorder()
    watcher = CardWatcher(rec)
    watcher.start()
    wait_for(lambda: rec.seen(ReaderAdded(READER)), what="the reader to be reported")
    yield watcher, rec
    watcher.stop()


def test_reports_insertion_and_removal(
    watched: tuple[CardWatcher, Recorder], insert_card: InsertCard
) -> None:
    _, rec = watched
    assert rec.events[0] == CardServiceUp()
    vcard = insert_card(wait=False)
    wait_for(lambda: any(isinstance(e, CardInserted) for e in rec.events), what="insertion")
    inserted = next(e for e in rec.events if isinstance(e, CardInserted))
    assert inserted.reader == READER and inserted.atr.startswith(b"\x3b")
    vcard.stop()
    wait_for(lambda: rec.seen(CardRemoved(READER)), what="removal")


def test_stops_within_a_second(watched: tuple[CardWatcher, Recorder]) -> None:
    watcher, _ = watched
    started = time.monotonic()
    watcher.stop()
    assert not watcher.running
    assert time.monotonic() - started < 1.0


def test_survives_pcscd_kill_and_restart(
    watched: tuple[CardWatcher, Recorder], insert_card: InsertCard, live_pcscd: PrivatePcscd
) -> None:
    _, rec = watched
    insert_card(wait=False)
    first = wait_for(lambda: inserted(rec), what="insertion")
    live_pcscd.kill()
    down = wait_for(
        lambda: next((i for i, e in enumerate(rec.events) if isinstance(e, CardServiceDown)), None),
        what="card service down",
    )
    assert down >= first
    live_pcscd.start()
    up = wait_for(lambda: rec.seen(CardServiceUp(), after=down), timeout=10, what="service up")
    # The virtual card reconnects to the new vpcd like a card left in the reader.
    wait_for(lambda: inserted(rec, after=up), timeout=10, what="card again")


def test_reader_gone_and_back(
    watched: tuple[CardWatcher, Recorder], live_pcscd: PrivatePcscd
) -> None:
    """vpcd readers cannot be unplugged live, so pcscd comes back without them, then with."""
    _, rec = watched
    live_pcscd.stop()
    (live_pcscd.conf_dir / "vpcd").unlink()
    live_pcscd.write_config = False
    try:
        live_pcscd.start()
        mark = wait_for(
            lambda: rec.seen(CardServiceUp(), after=1), timeout=10, what="service up, no reader"
        )
        assert list_readers() == []
        assert not rec.seen(ReaderAdded(READER), after=mark)
    finally:
        live_pcscd.write_config = True
        live_pcscd.restart()
    wait_for(lambda: rec.seen(ReaderAdded(READER), after=mark), timeout=10, what="reader back")


def test_reader_removed_while_running_is_reported() -> None:
    """The hot-unplug path, driven through the watcher's own bookkeeping."""
    rec = Recorder()
    watcher = CardWatcher(rec)
    watcher._sync_readers(["A", "B"])
    watcher._card_state("A", True, [0x3B], 0)
    watcher._sync_readers(["B"])
    assert rec.events == [
        ReaderAdded("A"),
        ReaderAdded("B"),
        CardInserted("A", b"\x3b"),
        CardRemoved("A"),
        ReaderRemoved("A"),
    ]


def test_a_quick_card_swap_is_reported_as_removal_then_insertion() -> None:
    rec = Recorder()
    watcher = CardWatcher(rec)
    watcher._sync_readers(["A"])
    watcher._card_state("A", True, [0x3B], 1)
    watcher._card_state("A", True, [0x3B], 3)
    assert rec.events[-2:] == [CardRemoved("A"), CardInserted("A", b"\x3b")]


def inserted(rec: Recorder, after: int = 0) -> int:
    """1 + index of the first CardInserted in READER at or after `after`, or 0."""
    with rec.lock:
        for i, event in enumerate(rec.events[after:], after):
            if isinstance(event, CardInserted) and event.reader == READER:
                return i + 1
    return 0


def test_a_card_already_in_at_start_is_marked_so(
    live_pcscd: PrivatePcscd, insert_card: InsertCard
) -> None:
    insert_card()
    rec = Recorder()
    watcher = CardWatcher(rec)
    watcher.start()
    try:
        index = wait_for(lambda: inserted(rec), what="the card already in")
        event = rec.events[index - 1]
        assert isinstance(event, CardInserted) and event.present_at_start
    finally:
        watcher.stop()
