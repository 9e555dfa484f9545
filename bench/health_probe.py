"""`python -m bench.health_probe URL SECONDS`: ask /v1/health and /v1/ready every 100 ms.

A process of its own, as a load balancer's probe is: it shares the cores with the
simulated kiosks but not their interpreter lock or event loop, so its figures are
the service's answer time plus the machine's scheduling, not the client's backlog.
Stops after SECONDS, or as soon as a line (or end of file) arrives on stdin; prints
its figures with `emit`. Each answer counts whatever its status (`/v1/ready` says
503 service_busy while the answer checks are full: an answer, and a quick one).
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from bench.common import emit, percentile, summary

INTERVAL = 0.1
TIMEOUT = 5.0


def probe(url: str, seconds: float, halt: threading.Event) -> dict[str, Any]:
    """Alternate GET /v1/health and /v1/ready until halted or `seconds` are up."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise ValueError(f"no host in {url!r}")
    latencies: dict[str, list[float]] = {"/v1/health": [], "/v1/ready": []}
    statuses: dict[str, dict[str, int]] = {p: {} for p in latencies}
    unanswered = dict.fromkeys(latencies, 0)
    deadline = time.monotonic() + seconds
    conn: http.client.HTTPConnection | None = None
    while not halt.is_set() and time.monotonic() < deadline:
        for path in latencies:
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
            t = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                unanswered[path] += 1
                conn.close()
                conn = None
                continue
            latencies[path].append(time.perf_counter() - t)
            key = str(response.status)
            statuses[path][key] = statuses[path].get(key, 0) + 1
        halt.wait(INTERVAL)
    if conn is not None:
        conn.close()
    out: dict[str, Any] = {}
    for path, samples in latencies.items():
        ordered = sorted(samples)
        out[path.rsplit("/", 1)[1]] = {
            **summary(ordered),
            "p99": percentile(ordered, 99) if ordered else None,
            "failures": unanswered[path],
            "statuses": statuses[path],
        }
    return out


def main() -> None:
    """Probe argv[1] for at most argv[2] seconds, or until stdin has a line or closes."""
    url, seconds = sys.argv[1], float(sys.argv[2])
    halt = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.readline()
        halt.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    emit(probe(url, seconds, halt))


if __name__ == "__main__":
    main()
