"""Cold start: process start to the first screen painted, minimal Textual app vs the kiosk.

Three apps: the floor (a minimal Textual app), the stack (the same app after
importing the kiosk's third-party libraries: what any app on them pays) and the
kiosk. Each run is a fresh `python -m bench.launch minimal|stack|kiosk` subprocess (see
bench/launch.py), headless under Textual's Pilot. Two figures per run: process
start (just before Popen) to the child's `PAINTED` line, and the whole process
wall time (start to exit, teardown included). Runs alternate between the apps
so drift in machine load hits both alike. The kiosk's watcher talks to a private
pcscd started here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, emit, ratio, summary
from bench.launch import STACK
from card.pcscd import PrivatePcscd


def _one(kind: str, env: dict[str, str], store_dir: Path) -> tuple[float, float]:
    args = [sys.executable, "-m", "bench.launch", kind]
    if kind == "kiosk":
        args.append(str(store_dir))
    t_wall = time.time()
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    painted = [ln for ln in done.stdout.splitlines() if ln.startswith("PAINTED ")]
    if done.returncode != 0 or not painted:
        raise RuntimeError(f"{kind} launcher failed: {done.stderr[-2000:]}")
    return float(painted[-1].split()[1]) - t_wall, wall


IMPORTS = {
    "minimal": "import textual.app, textual.widgets",
    "stack": "import textual.app, textual.widgets, " + ", ".join(STACK),
    "kiosk": (
        "import kiosk.app, kiosk.card_access, kiosk.service_client, kiosk.settings, kiosk.store"
    ),
}


KINDS = ("minimal", "stack", "kiosk")


def _imports(kind: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS[kind]], check=True, timeout=60, cwd=ROOT, env=env)
    return time.perf_counter() - t0


def run(quick: bool = True) -> dict[str, Any]:
    """The cold-start benchmark."""
    runs = 10 if quick else 30
    pcscd = PrivatePcscd()
    pcscd.start()
    env = {**os.environ, **pcscd.environ(), "PYTHONDONTWRITEBYTECODE": "0"}
    store_dir = Path(tempfile.mkdtemp(prefix="ssu-bench-cold-"))
    samples: dict[str, dict[str, list[float]]] = {
        k: {"paint": [], "wall": [], "imports": []} for k in KINDS
    }
    try:
        for kind in KINDS:  # warm the page cache and bytecode once
            _one(kind, env, store_dir)
        for _ in range(runs):
            for kind in KINDS:
                paint, wall = _one(kind, env, store_dir)
                samples[kind]["paint"].append(paint)
                samples[kind]["wall"].append(wall)
                samples[kind]["imports"].append(_imports(kind, env))
    finally:
        pcscd.stop()
    result: dict[str, Any] = {"runs": runs, "stack_modules": list(STACK)}
    for kind in KINDS:
        result[kind] = {
            "first_paint_s": summary(samples[kind]["paint"]),
            "process_wall_s": summary(samples[kind]["wall"]),
            "imports_only_s": summary(samples[kind]["imports"]),
        }
    for fig in ("first_paint_s", "process_wall_s", "imports_only_s"):
        floor = result["minimal"][fig]
        for kind in ("stack", "kiosk"):
            ours = result[kind][fig]
            ours["ratio_median"] = ratio(ours["median"], floor["median"])
            ours["ratio_p95"] = ratio(ours["p95"], floor["p95"])
        # The kiosk against the stack it stands on: the share that is our own code.
        stack, kiosk = result["stack"][fig], result["kiosk"][fig]
        kiosk["ratio_to_stack_median"] = ratio(kiosk["median"], stack["median"])
        kiosk["ratio_to_stack_p95"] = ratio(kiosk["p95"], stack["p95"])
    return result


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
