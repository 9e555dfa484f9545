"""Shared helpers of the benchmarks: statistics, machine facts, memory, ports, processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
#: The demo world's virtual reader (vpcd on a private pcscd).
READER = "Virtual PCD 00 00"


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """Count, median, p95, min and max of `samples` (NaN-free; empty gives None values)."""
    if not samples:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None}
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median": statistics.median(ordered),
        "p95": percentile(ordered, 95),
        "min": ordered[0],
        "max": ordered[-1],
    }


def percentile(ordered: Sequence[float], pct: float) -> float:
    """The `pct` percentile of sorted `ordered` (nearest rank, the honest one for small n)."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, min(len(ordered), -(-len(ordered) * pct // 100)))
    return float(ordered[int(rank) - 1])


def ratio(value: float | None, floor: float | None) -> float | None:
    """value / floor, or None when either is missing or the floor is zero."""
    if value is None or not floor:
        return None
    return value / floor


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int | str = "self") -> int | None:
    """Resident set size in KiB from /proc/<pid>/status (VmRSS), None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", text, re.M)
    return int(match.group(1)) if match else None


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.005) -> bool:
    """Poll `predicate` until true or `timeout` seconds; whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _version(cmd: Sequence[str], pattern: str) -> str:
    exe = shutil.which(cmd[0])
    if exe is None:
        return "not installed"
    try:
        out = subprocess.run(
            [exe, *cmd[1:]], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(pattern, out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = None
    try:
        match = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M)
        mem_kib = int(match.group(1)) if match else None
    except OSError:
        pass
    load = None
    try:
        load = os.getloadavg()
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1) if mem_kib else None,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pcscd": _version(["pcscd", "--version"], r"pcsc-lite version ([\d.]*\d)"),
        "textual": _package_version("textual"),
        "fastapi": _package_version("fastapi"),
        "uvicorn": _package_version("uvicorn"),
        "pyscard": _package_version("pyscard"),
        "argon2-cffi": _package_version("argon2-cffi"),
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
    }


def emit(result: dict[str, Any]) -> None:
    """Print a result dict as the last line of stdout (how __main__ collects it)."""
    sys.stdout.write("\nBENCH-RESULT " + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def parse_emitted(stdout: str) -> dict[str, Any] | None:
    """The result dict a benchmark subprocess printed with `emit`, if any."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("BENCH-RESULT "):
            parsed: dict[str, Any] = json.loads(line[len("BENCH-RESULT ") :])
            return parsed
    return None


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    """Terminate a child we started (SIGTERM, then SIGKILL) and reap it."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def demo_kiosk(world: Any, workdir: Path, client_timeout: float = 15.0) -> tuple[Any, Any]:
    """The kiosk app on the demo world, built as `ssu-kiosk --demo` builds it.

    PC/SC card access on the world's private pcscd (READER), the
    real service client, a SQLite local store in `workdir`. Returns (app, store);
    the caller closes the store once the app has run.
    """
    from pydantic import SecretStr

    from kiosk.app import make_app
    from kiosk.card_access import PcscCardAccess
    from kiosk.service_client import ServiceClient
    from kiosk.settings import KioskSettings
    from kiosk.store import LocalStore

    settings = KioskSettings.load(
        None,
        service_url=world.service_url,
        kiosk_token=SecretStr(world.kiosk_token),
        store=workdir / "kiosk.sqlite",
        reader=READER,
        kiosk_name="Bench kiosk",
    )
    store = LocalStore(settings.store)
    client = ServiceClient(world.service_url, world.kiosk_token, timeout=client_timeout, retries=1)
    app = make_app(
        settings=settings,
        card=PcscCardAccess(READER),
        client=client,
        store=store,
        demo=world.cards,
    )
    return app, store
