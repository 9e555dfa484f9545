"""An httpx transport that records every exchange, so a test can count 5xx and time calls.

`ServiceClient` retries some failures itself and turns refusals into exceptions;
recording at the transport sees every raw answer, including ones a retry hid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Exchange:
    """One request and its answer."""

    method: str
    path: str
    status: int
    seconds: float
    code: str | None
    """The problem `code` of a refusal (None for a success)."""


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    """Wraps the default transport; appends one Exchange per response."""

    exchanges: list[Exchange] = field(default_factory=list)
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        code = None
        if response.status_code >= 400:
            try:
                body = response.json()
                code = str(body.get("code")) if isinstance(body, dict) else None
            except ValueError:
                code = None
        self.exchanges.append(
            Exchange(
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                seconds=time.perf_counter() - started,
                code=code,
            )
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def server_errors(self) -> list[Exchange]:
        """Every 5xx seen (a 503 mail_unavailable would be one too: no mail fails here)."""
        return [x for x in self.exchanges if x.status >= 500]
