"""The work an instance does on its own, in one background thread.

- Every BEAT seconds it records that it is alive (service/domain/instances.py),
  so the requests and mail claims of a dead instance are freed within seconds.
- When it starts, whenever a transaction owed a notice, and every SWEEP seconds
  it sends the notices holders are owed (service/domain/notices.py), and tries
  again those a failed mail left. A failure is logged by type only and tried
  again at the next round.
"""

from __future__ import annotations

import logging
import threading
import time

from service.domain import instances, notices
from service.domain.parts import Parts

log = logging.getLogger(__name__)


class Housekeeping:
    """Beats and sweeps for one instance until stopped."""

    def __init__(
        self, parts: Parts, beat: float = instances.BEAT, sweep: float = notices.SWEEP
    ) -> None:
        self.parts = parts
        self.beat_every = beat
        self.sweep_every = sweep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)

    def start(self) -> None:
        """Beat once now (so this instance counts as alive at once), then run in the thread."""
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (waits for a round under way)."""
        self._stop.set()
        self.parts.notices_owed.set()
        self._thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            with self.parts.transaction() as conn:
                instances.beat(conn, self.parts.instance_id, self.parts.now())
        except Exception as exc:  # noqa: BLE001 - the next beat tries again
            log.warning("housekeeping beat failed: %s", type(exc).__name__)

    def _sweep(self) -> None:
        try:
            sent = notices.deliver_due(self.parts)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("notice sweep failed: %s", type(exc).__name__)
            return
        if sent:
            log.info("notice sweep sent %d notices", sent)

    def _run(self) -> None:
        owed = self.parts.notices_owed
        next_sweep = time.monotonic()
        next_beat = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if owed.is_set() or now >= next_sweep:
                owed.clear()
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_every
            if time.monotonic() >= next_beat:
                self._beat()
                next_beat = time.monotonic() + self.beat_every
            owed.wait(max(0.0, min(next_beat, next_sweep) - time.monotonic()))
