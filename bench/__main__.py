"""`python -m bench [--quick|--full]`: run every benchmark, write bench/RESULTS.md.

`--only NAME ...` re-measures those benchmarks and keeps every other section of the
last report (from RESULTS.json); the re-measured sections carry their own date and
load average.

Each benchmark runs in its own subprocess (`python -m bench.<name>`), bounded in
time: libpcsclite reads PCSCLITE_CSOCK_NAME once per process, so each card
benchmark starts its own private pcscd, and one benchmark's leftovers cannot skew
the next. Floors are measured in the same run as the figures compared with them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, machine, parse_emitted
from bench.report import render

#: (module, seconds allowed in quick mode, in full mode), in order of priority.
BENCHMARKS: tuple[tuple[str, int, int], ...] = (
    ("service", 180, 420),
    ("card_noticed", 180, 420),
    ("cold_start", 120, 300),
    ("memory", 60, 300),
    ("unlock", 120, 300),
    ("typing_terminal", 180, 300),
    ("app_memory", 360, 900),
    # SQLite and PostgreSQL (three instances) rows, each phase on fresh service processes.
    # Full mode adds the SQLite phases with the journey door off ("before"), same run.
    ("journeys", 900, 3300),
)
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def run_one(name: str, full: bool, limit: int) -> dict[str, Any]:
    """One benchmark in a subprocess; its result dict, or an error entry."""
    args = [sys.executable, "-m", f"bench.{name}", "--full" if full else "--quick"]
    start = time.perf_counter()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=limit, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {limit} s"}
    took = time.perf_counter() - start
    result = parse_emitted(done.stdout)
    if result is None:
        tail = (done.stderr or done.stdout)[-1500:]
        return {"error": f"exit {done.returncode}: {tail}"}
    result["bench_seconds"] = round(took, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--quick", action="store_true", help="about 15 minutes (default)")
    modes.add_argument(
        "--full", action="store_true", help="more samples and 1000 kiosks, about 40 minutes"
    )
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file")
    args = parser.parse_args(argv)
    full = bool(args.full)
    mode = "full" if full else "quick"
    info = machine()
    raw = args.output.with_suffix(".json")
    kept = last_report(raw) if args.only else None
    results: dict[str, Any] = {}
    start = time.perf_counter()
    for name, quick_limit, full_limit in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"bench: {name} ...", flush=True)
        results[name] = run_one(name, full, full_limit if full else quick_limit)
        status = "error" if "error" in results[name] else f"{results[name]['bench_seconds']} s"
        print(f"bench: {name} {status}", flush=True)
        if kept is not None:
            results[name]["machine"] = {**machine(), "mode": mode}
    total = time.perf_counter() - start
    report: dict[str, Any] = {"machine": info, "mode": mode, "total_s": total, "results": results}
    if kept is not None:
        # The last report's header and sections stay; the ones run now replace theirs.
        report = {**kept, "results": {**kept["results"], **results}}
    args.output.write_text(
        render(report["machine"], report["results"], report["mode"], report["total_s"])
    )
    raw.write_text(json.dumps(report, indent=2, default=str))
    print(f"bench: wrote {args.output} and {raw.name} in {total:.0f} s", flush=True)
    return 0


def last_report(raw: Path) -> dict[str, Any] | None:
    """The last full report (RESULTS.json), to keep the sections not run now; or None."""
    try:
        last = json.loads(raw.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(last, dict) or "machine" not in last or "results" not in last:
        return None
    # Reports before this key were all written by a full run (1438 s for the last one).
    last.setdefault("mode", "full")
    last.setdefault("total_s", 1438.0)
    return last


if __name__ == "__main__":
    sys.exit(main())
