"""Our own card and reader watcher thread (docs/design.md section 3).

pyscard's CardMonitor and ReaderMonitor die for good when pcscd restarts, so the
kiosk watches with a plain loop over SCardEstablishContext, SCardListReaders and
SCardGetStatusChange (with the PnP pseudo-reader for reader hot-plug). On any
error other than timeout or cancel it reports the card service down, releases
the context and tries again every second. `stop()` cancels the wait at once.

After the card service comes back every reader and card is reported afresh
(ReaderAdded, CardInserted): a pcscd restart powers cards off, so whatever
session the kiosk had with a card is gone and must be read again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from smartcard import scard

from card.apdu import CardError
from card.pcsc import PNP_NOTIFICATION, Cancelled, Context, WaitTimeout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReaderAdded:
    """A reader appeared."""

    reader: str


@dataclass(frozen=True)
class ReaderRemoved:
    """A reader disappeared (unplugged)."""

    reader: str


@dataclass(frozen=True)
class CardInserted:
    """A card is now present in `reader`."""

    reader: str
    atr: bytes
    present_at_start: bool = False
    """The card was already in when the watcher (re)connected to the card service,
    rather than inserted while it watched."""


@dataclass(frozen=True)
class CardRemoved:
    """The card left `reader`."""

    reader: str


@dataclass(frozen=True)
class CardServiceDown:
    """pcscd cannot be reached; the watcher keeps retrying."""

    reason: str


@dataclass(frozen=True)
class CardServiceUp:
    """pcscd answers again (also reported once at start)."""


WatcherEvent = (
    ReaderAdded | ReaderRemoved | CardInserted | CardRemoved | CardServiceDown | CardServiceUp
)

# Keep the event counter (high 16 bits) so a quick swap of cards is still seen.
_CHANGE_MASK = 0xFFFFFFFF & ~scard.SCARD_STATE_CHANGED


class CardWatcher:
    """Reports reader and card events to a callback from a daemon thread.

    The callback runs on the watcher thread: it should only hand the event on
    (for example `App.post_message`, which is thread-safe).
    """

    def __init__(
        self,
        on_event: Callable[[WatcherEvent], None],
        *,
        retry_interval: float = 1.0,
        wait_ms: int = 500,
    ) -> None:
        self._on_event = on_event
        self._retry = retry_interval
        self._wait_ms = wait_ms
        self._stop = threading.Event()
        self._ctx: Context | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: reader -> whether it holds a card, as last reported
        self._present: dict[str, bool] = {}
        self._counters: dict[str, int] = {}
        self._service_up: bool | None = None

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        """Start watching in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop within `timeout` seconds: SCardCancel wakes the blocked wait."""
        self._stop.set()
        with self._lock:
            if self._ctx is not None:
                self._ctx.cancel()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # -- loop -------------------------------------------------------------

    def _emit(self, event: WatcherEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a faulty callback must not kill the watcher
            log.exception("card watcher callback failed on %s", type(event).__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ctx = Context()
            except CardError as exc:
                self._service_down(str(exc))
                self._stop.wait(self._retry)
                continue
            with self._lock:
                self._ctx = ctx
            try:
                if self._service_up is not True:
                    self._service_up = True
                    self._emit(CardServiceUp())
                self._watch(ctx)
            except Cancelled:
                pass
            except CardError as exc:
                self._service_down(str(exc))
                self._stop.wait(self._retry)
            finally:
                with self._lock:
                    self._ctx = None
                ctx.release()

    def _service_down(self, reason: str) -> None:
        if self._service_up is not False:
            self._service_up = False
            self._present.clear()
            self._counters.clear()
            self._emit(CardServiceDown(reason))

    def _watch(self, ctx: Context) -> None:
        """Watch until the reader list changes (return) or an error (raise)."""
        readers = ctx.readers()
        self._sync_readers(readers)
        states: list[tuple[str, int]] = [(PNP_NOTIFICATION, scard.SCARD_STATE_UNAWARE)]
        states += [(r, scard.SCARD_STATE_UNAWARE) for r in readers]
        first = True
        while not self._stop.is_set():
            try:
                changed = ctx.status_change(states, 0 if first else self._wait_ms)
            except WaitTimeout:
                continue
            reader_list_changed = False
            new_states: list[tuple[str, int]] = []
            for name, event_state, atr in changed:
                if name == PNP_NOTIFICATION:
                    if event_state & scard.SCARD_STATE_CHANGED and states[0][1] != (
                        scard.SCARD_STATE_UNAWARE
                    ):
                        reader_list_changed = True
                elif event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    reader_list_changed = True
                else:
                    present = bool(event_state & scard.SCARD_STATE_PRESENT)
                    self._card_state(name, present, atr, event_state >> 16, at_start=first)
                new_states.append((name, event_state & _CHANGE_MASK))
            states = new_states
            first = False
            if reader_list_changed or set(ctx.readers()) != set(self._present):
                return

    def _sync_readers(self, readers: list[str]) -> None:
        for gone in [r for r in self._present if r not in readers]:
            self._counters.pop(gone, None)
            if self._present.pop(gone):
                self._emit(CardRemoved(gone))
            self._emit(ReaderRemoved(gone))
        for new in readers:
            if new not in self._present:
                self._present[new] = False
                self._emit(ReaderAdded(new))

    def _card_state(
        self, reader: str, present: bool, atr: list[int], counter: int, at_start: bool = False
    ) -> None:
        was = self._present.get(reader, False)
        self._present[reader] = present
        swapped = self._counters.get(reader, counter) != counter
        self._counters[reader] = counter
        if present and was and swapped:
            # Out and in again between two waits: a different card may be in.
            self._emit(CardRemoved(reader))
            self._emit(CardInserted(reader, bytes(atr)))
        elif present and not was:
            self._emit(CardInserted(reader, bytes(atr), present_at_start=at_start))
        elif was and not present:
            self._emit(CardRemoved(reader))
