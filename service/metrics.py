"""Prometheus metrics: what an operator and an RA manager watch (docs/deploy.md "Metrics").

The metrics live in the process's default registry and are served by
`MetricsServer` on their own port (`metrics_port`, loopback by default), so
scraping needs no kiosk token and the kiosks' address never exposes them. Each
instance serves its own; several instances are several scrape targets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from service.domain.answer_checks import AnswerChecks
from service.queries import holders

log = logging.getLogger(__name__)

T = TypeVar("T")

REQUESTS = Counter(
    "ssu_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "ssu_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOURNEYS = Counter(
    "ssu_journeys",
    "Unlocks and registrations started and completed (a repeat with the same key counts once).",
    ["journey", "stage"],
)
REFUSALS = Counter(
    "ssu_refusals",
    "Problem answers by problem code (self_service_locked, answers_wrong, service_busy ...).",
    ["code"],
)
MAIL = Counter(
    "ssu_mail", "Mails handed to the relay, or not, by template.", ["template", "outcome"]
)


def counted(answer: T, journey: str, stage: str, *, when: bool = True) -> T:
    """Count a journey's stage (`unlock`/`registration`, `started`/`completed`) once its
    step succeeded, and hand its answer on.

    Args:
        answer: what the step answered (a refusal raises before it gets here).
        journey: "unlock" or "registration".
        stage: "started" or "completed".
        when: count only when this holds (an unlock's result says whether it unlocked).
    """
    if when:
        JOURNEYS.labels(journey, stage).inc()
    return answer


class ServiceState(Collector):
    """Read at scrape time: the serving app's answer-check pool, and locked holders."""

    def __init__(self) -> None:
        self.pool: AnswerChecks | None = None
        self.engine: Engine | None = None

    def collect(self) -> Iterator[Metric]:
        yield from self._locked_holders()
        pool = self.pool
        if pool is None:
            return
        load = pool.load()
        for name, value, what in (
            ("workers", load.workers, "Answer checks that may run at once."),
            ("admitted", load.admitted, "Answer steps admitted and not yet answered."),
            ("checking", load.checking, "Answer checks running now."),
            ("waiting", load.waiting, "Admitted answer steps waiting for a worker."),
        ):
            yield GaugeMetricFamily(f"ssu_answer_checks_{name}", what, value=value)
        yield GaugeMetricFamily(
            "ssu_answer_checks_busy",
            "1 when an answer step now would be refused 503 service_busy.",
            value=0 if pool.busy() is None else 1,
        )
        yield CounterMetricFamily(
            "ssu_answer_checks_refused",
            "Answer steps refused 503 service_busy since the start.",
            value=load.refused,
        )

    def _locked_holders(self) -> Iterator[Metric]:
        engine = self.engine
        if engine is None:
            return
        try:
            with engine.connect() as conn:
                locked = holders.count_locked(conn)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail with the store
            log.warning("locked holders not counted: %s", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "ssu_holders_locked",
            "Holders whose self-service is locked now (the same on every instance of a store).",
            value=locked,
        )


SERVICE_STATE = ServiceState()
REGISTRY.register(SERVICE_STATE)


class MetricsServer:
    """`/metrics` on its own address, for the life of the app."""

    def __init__(self, host: str, port: int, pool: AnswerChecks, engine: Engine) -> None:
        self.host = host
        self.port = port
        self.pool = pool
        self.engine = engine
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve the metrics (and watch this app's pool: one app per process when served)."""
        SERVICE_STATE.pool = self.pool
        SERVICE_STATE.engine = self.engine
        self._server, self._thread = start_http_server(self.port, addr=self.host)

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
