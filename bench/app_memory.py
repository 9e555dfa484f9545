"""Memory of the kiosk app on real parts: RSS idle, mid-journey and over 200 unlocks in a row.

The app is built by `kiosk.app.make_app` as bench/unlock.py builds it (PC/SC card
access on a private pcscd + vpcd, the real service client, a SQLite local store) and
runs headless under Pilot (`app.run_test`) on the demo world (`demo.world.DemoWorld`:
the service in demo mode as a subprocess, the SMTP catcher in this process). Each
journey is bench/unlock.py's (`AppJourneys.one`): a fresh locked demo card inserted,
Continue, the answers asked, the mailed code, a new passcode, Unlocked, the card
removed, back to the waiting screen. A journey counts as completed only when the flow
reached Unlocked, the card holds the new passcode with 3 tries left, and the app is
back on the waiting screen; anything else is counted as failed, with its reason.

RSS is this process's VmRSS (bench.common.rss_kib) after gc.collect(): the app,
Textual, pyscard, the virtual card threads and the SMTP catcher thread. Beside it,
each sample counts Python's allocated blocks, threads, Textual widgets still alive
though no longer in the app's DOM (removed from a screen yet referenced), and the fill
of Textual's `StylesCache.get_inner_outer` lru_cache with the styles caches of gone
widgets that are alive (see `_inner_outer_cache`): a bounded cache that grows with
every journey until it is full. At the very end, the Python blocks freed by clearing
that cache, then Textual's and Rich's other functools caches, show what those bounded
caches alone kept. The catcher keeps every mail it receives in a list in this
process, which would look like app growth, so that list is emptied after every
journey (under its lock) and the mail it held is counted and reported. The service
is another process and not counted.

The service's limits are raised and its answer hashing made cheap through
SSU_SERVICE_* variables, which DemoWorld's service and seed-demo subprocesses
inherit: 200 unlocks of one holder from one kiosk in a few minutes pass the
per-card, per-holder (30/min) and per-kiosk (600/min) throttles, and the configured
argon2id cost (~0.45 s per answers step) would spend the time budget on hashing in
another process; the kiosk's memory does not depend on either.

Python heap growth comes from tracemalloc in a second pass after the main one (it
slows Python down, so the RSS figures are taken without it), with the allocation
sites that grew most.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import os
import sys
import sysconfig
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import demo_kiosk, emit, rss_kib, summary
from bench.unlock import AppJourneys, until

#: What the service is told for this run (see the module docstring for why).
SERVICE_ENV = {
    "SSU_SERVICE_THROTTLE__PER_KIOSK": "100000000",
    "SSU_SERVICE_THROTTLE__PER_CARD": "100000000",
    "SSU_SERVICE_THROTTLE__PER_HOLDER": "100000000",
    "SSU_SERVICE_ARGON2__TIME_COST": "1",
    "SSU_SERVICE_ARGON2__MEMORY_COST": "8",
    "SSU_SERVICE_ARGON2__PARALLELISM": "1",
}
#: Journeys before the growth baseline (first screens composed, caches filled).
WARMUP = 50
SAMPLE_EVERY = 25
#: Consecutive failed journeys after which the run stops (the rig is broken).
MAX_FAILURES_IN_A_ROW = 5


def _styles_cache_type() -> type | None:
    """Textual's `StylesCache` class (private), or None in a Textual without it."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:
        return None
    return StylesCache


def _inner_outer_cache() -> Any:
    """Textual's `StylesCache.get_inner_outer` lru_cache, or None if this Textual has none.

    textual 8.2.8 puts `functools.lru_cache(1024)` on that instance method
    (textual/_styles_cache.py), so every entry's key holds a widget's `StylesCache`,
    and with it the widget's last rendered lines, after the widget itself is gone:
    up to 1024 entries, then each new one drops the oldest (Textualize/textual#6665).
    Every widget a screen mounts anew (the answer fields of each journey) adds one.
    """
    cached = getattr(_styles_cache_type(), "get_inner_outer", None)
    return cached if hasattr(cached, "cache_info") else None


def _widgets_now() -> tuple[Counter[str], int]:
    """Removed widgets still alive, by class; styles caches whose widget is gone.

    One pass over the collector's objects (after a collect). A removed widget is one
    no longer in the app's DOM; a styles cache whose widget is gone is kept by something
    else, such as `_inner_outer_cache()`.
    """
    from textual.widget import Widget

    styles_type = _styles_cache_type()
    removed: Counter[str] = Counter()
    held: set[int] = set()
    styles: list[int] = []
    for o in gc.get_objects():
        if isinstance(o, Widget):
            held.add(id(getattr(o, "_styles_cache", None)))
            if not o.is_attached:
                removed[type(o).__name__] += 1
        elif styles_type is not None and isinstance(o, styles_type):
            styles.append(id(o))
    return removed, sum(1 for i in styles if i not in held)


def _sample(label: str, journeys: int, mail: dict[str, int]) -> dict[str, Any]:
    gc.collect()
    removed, orphaned = _widgets_now()
    cache = _inner_outer_cache()
    info = cache.cache_info() if cache is not None else None
    return {
        "moment": label,
        "journeys": journeys,
        "rss_kib": rss_kib(),
        "blocks": sys.getallocatedblocks(),
        "threads": threading.active_count(),
        "removed_widgets_alive": sum(removed.values()),
        "removed_widgets_by_class": dict(removed.most_common(5)),
        "inner_outer_entries": info.currsize if info else None,
        "inner_outer_max": info.maxsize if info else None,
        "styles_caches_of_gone_widgets": orphaned,
        "mail_kept": mail["kept"],
    }


def _cleared_caches() -> dict[str, int]:
    """Python blocks freed by clearing Textual's and Rich's functools caches (at the end).

    First `_inner_outer_cache()` alone, then every other lru_cache in the textual and
    rich packages: what each kept alive that nothing else did. Run once all samples
    are taken: the app refills them afterwards.
    """
    import functools

    freed: dict[str, int] = {}
    gc.collect()
    before = sys.getallocatedblocks()
    cache = _inner_outer_cache()
    if cache is not None:
        cache.cache_clear()
        gc.collect()
        freed["inner_outer"] = before - sys.getallocatedblocks()
        freed["styles_caches_of_gone_widgets"] = _widgets_now()[1]
    before = sys.getallocatedblocks()
    others = [
        o
        for o in gc.get_objects()
        if isinstance(o, functools._lru_cache_wrapper)
        and (getattr(o, "__module__", None) or "").split(".")[0] in ("textual", "rich")
    ]
    for o in others:
        o.cache_clear()
    del others
    gc.collect()
    freed["other_textual_rich"] = before - sys.getallocatedblocks()
    return freed


def _empty_mailbox(world: Any, mail: dict[str, int]) -> None:
    """Drop the mail the catcher kept in this process; count what it was."""
    box = world.mail.mailbox
    with box.lock:
        dropped, box.messages[:] = list(box.messages), []
    mail["dropped"] += len(dropped)
    mail["dropped_bytes"] += sum(len(m.as_bytes()) for m in dropped)
    mail["kept"] = 0


async def _journeys(
    run: AppJourneys,
    world: Any,
    count: int,
    first: int,
    outcome: dict[str, Any],
    mail: dict[str, int],
    samples: list[dict[str, Any]] | None = None,
    pilot: Any = None,
    deadline: float = float("inf"),
) -> int:
    """Up to `count` journeys numbered from `first`, until `deadline`; how many ran.

    With `samples`, RSS is sampled on the code and new-passcode screens of the first
    and last journeys and on the waiting screen every SAMPLE_EVERY journeys.
    """
    from card.applet import MAX_TRIES
    from kiosk.flow import states as s

    async def sample(label: str, done: int) -> None:
        assert samples is not None
        await pilot.pause()
        mail["kept"] = len(world.mail.mailbox.snapshot())
        samples.append(_sample(label, done, mail))

    in_a_row = 0
    ran = 0
    for j in range(first, first + count):
        if time.monotonic() > deadline:
            outcome["budget_hit"] = True
            break

        async def at(where: str, j: int = j) -> None:
            screen = "code screen" if where == "code" else "new-passcode screen"
            await sample(f"{screen}, journey {j + 1}", j)

        mid = samples is not None and j in (0, first + count - 1)
        reason = None
        try:
            machine = await run.one(j, at if mid else None)
            outcome.setdefault("machine_s", []).append(machine)
            await until(run.on(s.WaitingForCard), 10)
            if run.card.pin != run.new_pin or run.card.tries_left != MAX_TRIES:
                reason = f"card not written (tries left {run.card.tries_left})"
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            try:
                await until(run.on(s.WaitingForCard), 30)
            except TimeoutError:
                outcome["failed"] += 1
                outcome["reasons"].append(f"journey {j + 1}: {reason}; no way back to waiting")
                raise
        ran += 1
        outcome["ran"] = outcome.get("ran", 0) + 1
        _empty_mailbox(world, mail)
        if reason is None:
            outcome["completed"] += 1
            in_a_row = 0
        else:
            outcome["failed"] += 1
            outcome["reasons"].append(f"journey {j + 1}: {reason}")
            in_a_row += 1
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                raise RuntimeError(f"{in_a_row} journeys failed in a row: {reason}")
        if samples is not None and ran % SAMPLE_EVERY == 0:
            await sample(f"waiting, after {ran} journeys", ran)
    if samples is not None and ran % SAMPLE_EVERY:
        await sample(f"waiting, after {ran} journeys", ran)
    return ran


async def measure(
    app: Any,
    world: Any,
    holder: dict[str, Any],
    journeys: int,
    traced: int,
    budget_s: float,
) -> dict[str, Any]:
    """The main pass (RSS samples) then, if time allows, the tracemalloc pass."""
    from kiosk.flow import states as s

    run = AppJourneys(app, world, holder)
    outcome: dict[str, Any] = {"completed": 0, "failed": 0, "reasons": []}
    mail = {"dropped": 0, "dropped_bytes": 0, "kept": 0}
    samples: list[dict[str, Any]] = [_sample("before the app runs (world up)", 0, mail)]
    heap: dict[str, Any] = {}
    start = time.monotonic()
    deadline = start + budget_s
    async with app.run_test(size=(100, 34)) as pilot:
        await until(run.on(s.WaitingForCard))
        await pilot.pause()
        samples.append(_sample("idle, waiting screen", 0, mail))
        try:
            await _journeys(run, world, journeys, 0, outcome, mail, samples, pilot, deadline)
        except (RuntimeError, TimeoutError) as exc:
            outcome["stopped"] = str(exc)[:300]
            done = outcome.get("ran", 0)
            samples.append(_sample(f"after {done} journeys, stopped", done, mail))
        ran = outcome.get("ran", 0)
        elapsed = time.monotonic() - start
        per_journey = elapsed / max(1, ran)
        # The traced pass runs slower; start it only if it should end within the budget.
        if traced and "stopped" not in outcome:
            if time.monotonic() + (traced + 5) * per_journey * 1.5 < deadline + 40:
                heap = await _traced(run, world, ran, traced, mail)
            else:
                heap = {"skipped": "no time left in the budget"}
        cleared = _cleared_caches() if "stopped" not in outcome else {}
    return {
        "samples": samples,
        "outcome": outcome,
        "ran": ran,
        "mail": mail,
        "heap": heap,
        "cleared_caches_blocks": cleared,
        "main_pass_s": elapsed,
    }


def _short(where: str) -> str:
    """A source location without the long directory prefixes."""
    paths = sysconfig.get_paths()
    for prefix, name in (
        (paths["purelib"], ""),
        (paths["stdlib"], "stdlib"),
        (str(Path(__file__).resolve().parent.parent), ""),
    ):
        where = where.replace(prefix + os.sep, name + os.sep if name else "")
    return where


async def _traced(
    run: AppJourneys,
    world: Any,
    first: int,
    count: int,
    mail: dict[str, int],
) -> dict[str, Any]:
    """Python heap growth over `count` journeys under tracemalloc; the top growing sites."""
    outcome: dict[str, Any] = {"completed": 0, "failed": 0, "reasons": []}
    tracemalloc.start(1)
    try:
        await _journeys(run, world, 5, first, outcome, mail)  # tracemalloc's own warm-up
        gc.collect()
        before_bytes, _ = tracemalloc.get_traced_memory()
        before = tracemalloc.take_snapshot()
        await _journeys(run, world, count, first + 5, outcome, mail)
        gc.collect()
        after_bytes, _ = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    outcome.pop("machine_s", None)
    keep = (tracemalloc.Filter(False, tracemalloc.__file__),)
    stats = after.filter_traces(keep).compare_to(before.filter_traces(keep), "lineno")
    top = [
        {
            "where": _short(str(st.traceback[0])),
            "size_diff": st.size_diff,
            "count_diff": st.count_diff,
        }
        for st in stats[:8]
        if st.size_diff > 0
    ]
    return {
        "journeys": count,
        "outcome": outcome,
        "growth_bytes": after_bytes - before_bytes,
        "growth_bytes_per_journey": (after_bytes - before_bytes) / count,
        "top": top,
    }


def run(quick: bool = True) -> dict[str, Any]:
    """The app memory benchmark."""

    from card.pcscd import PrivatePcscd
    from demo.world import DemoWorld

    journeys = int(os.environ.get("BENCH_APP_MEMORY_JOURNEYS", 200 if quick else 400))
    traced = int(os.environ.get("BENCH_APP_MEMORY_TRACED", 20 if quick else 50))
    budget_s = float(os.environ.get("BENCH_APP_MEMORY_BUDGET_S", 230 if quick else 660))
    os.environ.update(SERVICE_ENV)
    pcscd = PrivatePcscd()
    pcscd.start()
    os.environ.update(pcscd.environ())
    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-app-memory-"))
    world = DemoWorld(workdir / "world", pcscd=pcscd).start()
    try:
        holder = next(h for h in world.demo_data["holders"] if h["key"] == "locked")
        app, store = demo_kiosk(world, workdir)
        try:
            got = asyncio.run(measure(app, world, holder, journeys, traced, budget_s))
        finally:
            store.close()
    finally:
        world.stop()
        pcscd.stop()
    result = summarise(got, journeys, budget_s)
    result["textual"] = importlib.metadata.version("textual")
    return result


def _per_100(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """RSS and blocks growth from sample `a` to sample `b`, per 100 journeys."""
    n = b["journeys"] - a["journeys"]
    return {
        "from_journeys": a["journeys"],
        "to_journeys": b["journeys"],
        "rss_kib_per_100": (b["rss_kib"] - a["rss_kib"]) / n * 100,
        "blocks_per_100": (b["blocks"] - a["blocks"]) / n * 100,
    }


def summarise(got: dict[str, Any], journeys: int, budget_s: float) -> dict[str, Any]:
    """The result dict: samples, growth after the warm-up, outcome, heap."""
    samples = got["samples"]
    after = [x for x in samples if x["moment"].startswith("waiting, after")]
    base = next((x for x in after if x["journeys"] >= WARMUP), None)
    last = after[-1] if after else None
    growth = None
    if base and last and last is not base and base["rss_kib"] and last["rss_kib"]:
        # Halfway between the warm-up and the end (the nearest sample): does it slow down?
        half = (base["journeys"] + last["journeys"]) / 2
        mid = min(after, key=lambda x: abs(x["journeys"] - half))
        growth = {
            "from_journeys": base["journeys"],
            "to_journeys": last["journeys"],
            "rss_kib": last["rss_kib"] - base["rss_kib"],
            "rss_kib_per_100": (last["rss_kib"] - base["rss_kib"])
            / (last["journeys"] - base["journeys"])
            * 100,
            "blocks": last["blocks"] - base["blocks"],
            "threads": last["threads"] - base["threads"],
            "removed_widgets_alive": last["removed_widgets_alive"] - base["removed_widgets_alive"],
            "styles_caches_of_gone_widgets": (
                last["styles_caches_of_gone_widgets"] - base["styles_caches_of_gone_widgets"]
            ),
            "inner_outer_entries": [base["inner_outer_entries"], last["inner_outer_entries"]],
            "halves": [_per_100(a, b) for a, b in ((base, mid), (mid, last)) if a is not b],
        }
    seconds = got["main_pass_s"]
    done = got["ran"]
    return {
        "journeys_asked": journeys,
        "journeys_run": done,
        "budget_s": budget_s,
        "warmup": WARMUP,
        "sample_every": SAMPLE_EVERY,
        "service_env": SERVICE_ENV,
        "samples": samples,
        "growth_after_warmup": growth,
        "outcome": got["outcome"],
        "mail": got["mail"],
        "heap": got["heap"],
        "cleared_caches_blocks": got.get("cleared_caches_blocks") or {},
        "main_pass_s": seconds,
        "s_per_journey": seconds / done if done else None,
        "machine_s": summary(got["outcome"].pop("machine_s", [])),
    }


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
