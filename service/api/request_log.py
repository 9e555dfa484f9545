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

from starlette.types import Receive, Scope, Send

from service import metrics
from service.api.middleware import AnswerWatch, HttpMiddleware

log = logging.getLogger("service.access")

KIOSK_ID = "kiosk_id"
"""Where `deps.get_kiosk` leaves the calling kiosk's id in the request's state."""


class RequestLog(HttpMiddleware):
    """Log and count every HTTP request once it is answered."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        answer = AnswerWatch(send)
        try:
            await self.app(scope, receive, answer)
        finally:
            seconds = time.perf_counter() - started
            # 500 where the connection was cut before any answer.
            status = 500 if answer.status is None else answer.status
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
