"""Memory of the pure flow: RSS idle and after rounds of 200 unlock journeys in a row.

A journey is tests/kiosk/kiosk_journey.py's path from the waiting screen to
Unlocked (card inserted and read, unlock started, answers, code, new passcode,
card written), then the card removed, back to the waiting screen. The state is
carried from one journey to the next (one kiosk, many holders). RSS comes from
/proc/self/status (VmRSS, psutil is not a dependency), after gc.collect(); Python
heap growth from tracemalloc in a second pass. The app's RSS under Pilot is
measured by bench/card_noticed.py (idle, card status shown, after all cycles).
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from typing import Any

from bench.common import emit, rss_kib

JOURNEYS_PER_ROUND = 200


def flow_journeys(state: Any, count: int) -> Any:
    """Run `count` whole unlocks through the pure flow from `state`; the state after."""
    from kiosk.flow import events as e
    from kiosk.flow import states as s
    from tests.kiosk.kiosk_journey import Driver

    for _ in range(count):
        d = Driver(state)
        d.at_unlocked()
        if not isinstance(d.screen, s.Unlocked):
            raise RuntimeError(f"journey ended on {type(d.screen).__name__}")
        d.send(e.CardRemoved())
        if not isinstance(d.screen, s.WaitingForCard):
            raise RuntimeError(f"after removal: {type(d.screen).__name__}")
        state = d.state
    return state


def run(quick: bool = True) -> dict[str, Any]:
    """The memory benchmark: RSS per round and tracemalloc growth."""
    from tests.kiosk.kiosk_journey import Driver

    rounds = 5 if quick else 25
    gc.collect()
    rss_idle = rss_kib()
    state = Driver.new().state
    rss_rounds: list[int | None] = []
    start = time.perf_counter()
    state = flow_journeys(state, JOURNEYS_PER_ROUND)  # warm-up round (caches, interned strings)
    gc.collect()
    rss_after_first = rss_kib()
    for _ in range(rounds):
        state = flow_journeys(state, JOURNEYS_PER_ROUND)
        gc.collect()
        rss_rounds.append(rss_kib())
    elapsed = time.perf_counter() - start
    total = JOURNEYS_PER_ROUND * (rounds + 1)

    tracemalloc.start()
    state = flow_journeys(state, JOURNEYS_PER_ROUND)
    gc.collect()
    heap_before, _ = tracemalloc.get_traced_memory()
    state = flow_journeys(state, JOURNEYS_PER_ROUND)
    gc.collect()
    heap_after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    known = [r for r in rss_rounds if r is not None]
    return {
        "journeys_per_round": JOURNEYS_PER_ROUND,
        "rounds_after_warmup": rounds,
        "rss_kib_idle": rss_idle,
        "rss_kib_after_first_200": rss_after_first,
        "rss_kib_per_round": rss_rounds,
        "rss_growth_kib_after_warmup": (known[-1] - rss_after_first)
        if known and rss_after_first
        else None,
        "heap_growth_bytes_per_200": heap_after - heap_before,
        "journeys_per_s": total / elapsed if elapsed else None,
        "ms_per_journey": elapsed / total * 1000,
    }


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
