"""Turn the card watcher's reports into flow events for the kiosk's one reader.

The watcher reports every reader; the kiosk uses the configured one, or else the
first reader it sees, and ignores the rest.
"""

from __future__ import annotations

from card import watcher as w
from kiosk.flow import events as e
from kiosk.flow import ra_events as r


class ReaderFilter:
    """Maps watcher events to flow events for the kiosk's reader (pure, not thread-safe)."""

    def __init__(self, reader: str | None = None) -> None:
        self.configured = reader
        self.current: str | None = reader

    def translate(self, event: w.WatcherEvent) -> e.Event | None:
        """The flow event for a watcher event, or None when it is not about our reader."""
        if isinstance(event, w.CardServiceDown):
            if self.configured is None:
                self.current = None
            return e.CardServiceLost()
        if isinstance(event, w.CardServiceUp):
            return e.CardServiceUp()
        if isinstance(event, w.ReaderAdded):
            if self.current is None:
                self.current = event.reader
            return e.ReaderAdded(event.reader) if event.reader == self.current else None
        if event.reader != self.current:
            return None
        if isinstance(event, w.ReaderRemoved):
            if self.configured is None:
                self.current = None
            return e.ReaderRemoved(event.reader)
        if isinstance(event, w.CardInserted):
            return e.CardInserted(fresh=not event.present_at_start)
        return e.CardRemoved()


def ra_reader_event(ra_reader: str | None, event: w.WatcherEvent) -> e.Event | None:
    """At a two-reader RA desk, the flow event for a watcher event about the RA's own
    reader (None for any other event, which `ReaderFilter` then takes).

    Its reader coming and going is not the holders' reader's: those return
    `IGNORED`, so the caller drops them instead of handing them to the filter.
    """
    if ra_reader is None or getattr(event, "reader", None) != ra_reader:
        return None
    if isinstance(event, w.CardInserted):
        return r.RaCardInserted()
    if isinstance(event, w.CardRemoved):
        return r.RaCardRemoved()
    return IGNORED


IGNORED = e.Event()
"""What `ra_reader_event` answers for the RA reader's own comings and goings."""
