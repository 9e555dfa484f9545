"""`python -m bench [--quick|--full]`: run every benchmark, write bench/RESULTS.md.

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
    ("journeys", 900, 1800),
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
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="about 15 minutes (default)")
    mode.add_argument(
        "--full", action="store_true", help="more samples and 1000 kiosks, about 40 minutes"
    )
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    parser.add_argument("--output", type=Path, default=RESULTS, help="report file")
    args = parser.parse_args(argv)
    full = bool(args.full)
    info = machine()
    results: dict[str, Any] = {}
    start = time.perf_counter()
    for name, quick_limit, full_limit in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"bench: {name} ...", flush=True)
        results[name] = run_one(name, full, full_limit if full else quick_limit)
        status = "error" if "error" in results[name] else f"{results[name]['bench_seconds']} s"
        print(f"bench: {name} {status}", flush=True)
    total = time.perf_counter() - start
    args.output.write_text(render(info, results, "full" if full else "quick", total))
    raw = args.output.with_suffix(".json")
    raw.write_text(json.dumps({"machine": info, "results": results}, indent=2, default=str))
    print(f"bench: wrote {args.output} and {raw.name} in {total:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
