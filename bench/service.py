"""Service throughput: non-hashing endpoints against a bare FastAPI hello; argon2id checks.

The real service runs as `ssu-service serve --demo` (after `seed-demo` on a temporary
SQLite file), exactly as demo.world.DemoWorld starts it, in a subprocess on loopback.
The floor is bench/hello_app.py on the same uvicorn settings. Both are loaded by the
same small asyncio HTTP/1.1 keep-alive client with C concurrent connections for a
bounded time and a bounded number of requests.

The per-kiosk throttle (600/min by default) is raised for the benchmark through
SSU_SERVICE_THROTTLE__PER_KIOSK, or every request past the first 600 would be a 429,
and the journey door is opened wide (SSU_SERVICE_ADMISSION__JOURNEY_BURST), or nearly
every nonce would be a 503 service_busy.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import LOOPBACK, ROOT, emit, free_port, ratio, stop_process, summary

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.I)


async def _connection(
    port: int,
    request: bytes,
    deadline: float,
    budget: list[int],
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            match = _CONTENT_LENGTH.search(head)
            if match:
                await reader.readexactly(int(match.group(1)))
            latencies.append(time.perf_counter() - start)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    conns: int,
    seconds: float,
    max_requests: int,
) -> dict[str, Any]:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["Content-Length: 0", "", ""]
    request = "\r\n".join(lines).encode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    budget = [max_requests]
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_connection(port, request, deadline, budget, latencies, statuses) for _ in range(conns))
    )
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": len(latencies) / elapsed if elapsed else None,
        "latency_s": summary(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def load(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    conns: int = 16,
    seconds: float = 5.0,
    max_requests: int = 200_000,
    warmup: float = 1.0,
) -> dict[str, Any]:
    """Load one endpoint: a warm-up, then the measured window; requests/s and latency."""
    hdrs = headers or {}
    asyncio.run(_load(port, method, path, hdrs, conns, warmup, max_requests))
    return asyncio.run(_load(port, method, path, hdrs, conns, seconds, max_requests))


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {log}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server did not answer {url}; see {log}")


def start_service(workdir: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """Seed a demo database and serve it in demo mode; (process, port, kiosk token)."""
    db = f"sqlite:///{workdir / 'service.db'}"
    env = {
        **os.environ,
        "SSU_SERVICE_THROTTLE__PER_KIOSK": "100000000",
        # 16 connections asking for nonces start hundreds of journeys a second that never
        # reach their answers: the journey door would refuse nearly all of them, and this
        # section measures what a nonce costs, not the door (that is 6b's).
        "SSU_SERVICE_ADMISSION__JOURNEY_BURST": "1000000000",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "service.cli", "seed-demo", "--db", db],
        capture_output=True,
        check=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    token = str(json.loads(seeded.stdout)["kiosk_token"])
    port = free_port()
    log_path = workdir / "service.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--demo",
                "--db",
                db,
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--smtp-host",
                LOOPBACK,
                "--smtp-port",
                str(free_port()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
    _wait_healthy(proc, f"http://{LOOPBACK}:{port}/v1/health", log_path, 60)
    return proc, port, token


def start_hello(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Serve the bare hello app; (process, port)."""
    port = free_port()
    log_path = workdir / "hello.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.hello_app", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    _wait_healthy(proc, f"http://{LOOPBACK}:{port}/v1/health", log_path, 60)
    return proc, port


def argon2_checks(seconds: float, max_checks: int) -> dict[str, Any]:
    """Answer checks (argon2id verify) per second, one calling thread, at the configured cost."""
    from argon2 import PasswordHasher

    from service.settings import Argon2Cost, load_settings

    try:
        cost = load_settings().argon2
    except Exception:  # a broken local config must not stop the bench; defaults then
        cost = Argon2Cost()
    hasher = PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_cost, parallelism=cost.parallelism
    )
    stored = hasher.hash("bench answer")
    hasher.verify(stored, "bench answer")  # warm-up
    durations: list[float] = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    while len(durations) < max_checks and time.perf_counter() - start < seconds:
        t = time.perf_counter()
        hasher.verify(stored, "bench answer")
        durations.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return {
        "cost": cost.model_dump(),
        "checks": len(durations),
        "checks_per_s_one_caller": len(durations) / wall if wall else None,
        "checks_per_cpu_s": len(durations) / cpu if cpu else None,
        "cpu_s_per_check": cpu / len(durations) if durations else None,
        "verify_s": summary(durations),
        "note": "a submission of 3 answers is 3 checks; cpu_s counts every argon2 lane thread",
    }


def _floor(workdir: Path, conns: int, seconds: float) -> dict[str, Any]:
    hello, hello_port = start_hello(workdir)
    try:
        return load(hello_port, "GET", "/v1/health", conns=conns, seconds=seconds)
    finally:
        stop_process(hello)


def run(quick: bool = True) -> dict[str, Any]:
    """The service benchmark; a result dict."""
    seconds = 4.0 if quick else 15.0
    conns = 16
    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-service-"))
    result: dict[str, Any] = {"conns": conns, "seconds_per_endpoint": seconds}
    # The floor is measured before and after the service (its rate moved by a third
    # between runs on a shared machine): the ratios use the mean of the two.
    result["floor_hello"] = _floor(workdir, conns, seconds)
    service, port, token = start_service(workdir)
    auth = {"Authorization": f"Bearer {token}"}
    try:
        result["health"] = load(port, "GET", "/v1/health", conns=conns, seconds=seconds)
        result["questions"] = load(port, "GET", "/v1/questions", auth, conns=conns, seconds=seconds)
        result["nonces"] = load(port, "POST", "/v1/nonces", auth, conns=conns, seconds=seconds)
    finally:
        stop_process(service)
    result["floor_hello_after"] = _floor(workdir, conns, seconds)
    floor = (result["floor_hello"]["rps"] + result["floor_hello_after"]["rps"]) / 2
    result["floor_rps"] = floor
    for name in ("health", "questions", "nonces"):
        result[name]["ratio_to_floor"] = ratio(result[name]["rps"], floor)
    result["argon2"] = argon2_checks(10.0 if quick else 30.0, 200 if quick else 1000)
    return result


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
