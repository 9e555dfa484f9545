"""The service's access log and request metrics, written once per request.

One line per request (logger `service.access`): method, path without its query
string, route template, status, duration in ms and the calling kiosk's id when
its token held. Never a header, token or body. The same answer feeds the
request counter and latency histogram, labelled by route template (an unlock's
id would make a label per unlock).
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import metrics

log = logging.getLogger("service.access")

KIOSK_ID = "kiosk_id"
"""Where `deps.get_kiosk` leaves the calling kiosk's id in the request's state."""


class RequestLog:
    """Log and count every HTTP request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # a connection cut before any answer

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            seconds = time.perf_counter() - started
            method = str(scope["method"])
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route, str(status)).observe(seconds)
            kiosk_id = scope.get("state", {}).get(KIOSK_ID)
            duration_ms = round(seconds * 1000, 1)
            path = str(scope["path"])  # the ASGI path never holds the query string
            log.info(
                "%s %s %d %.1f ms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "kiosk_id": kiosk_id,
                },
            )
