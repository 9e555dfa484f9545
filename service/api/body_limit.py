"""Request bodies bounded before anything else reads them (docs/api.md, Conventions).

An ASGI middleware, outside routing, the token check and body parsing: a body
whose Content-Length, or whose bytes as they arrive, go over its endpoint's limit
is answered 413 `body_too_large`: nothing behind it runs. At most the limit is
ever held in memory, so a 10 MB body without a token costs neither memory nor a
worker thread; the rest is read into nothing, so the client hears the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import BODY_TOO_LARGE, problem_response
from service.api.middleware import HttpMiddleware
from service.problems import Problem

DRAIN_MAX_BYTES = 64 * 1024 * 1024
"""Most of a refused body read and thrown away so the client hears the 413."""


class BodyLimit(HttpMiddleware):
    """Refuse a request body over its endpoint's limit while it is being read."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        """Wrap app.

        Args:
            app: the application behind the limit.
            default: bytes allowed for any path not in per_path.
            per_path: bytes allowed per exact path (the audit batch).
        """
        super().__init__(app)
        self.default = default
        self.per_path = dict(per_path)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.per_path.get(scope["path"], self.default)
        if _declared_length(scope) > limit:
            await _refuse(scope, receive, send, limit, more=True)
            return
        # Read the whole body here, counting as it comes, so nothing behind this
        # ever sees (or buffers) more than the limit.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app see the disconnect.
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(scope, receive, send, limit, more=bool(message.get("more_body")))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _declared_length(scope: Scope) -> int:
    """The Content-Length header as a number (0 when absent or unreadable)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives back the messages already read, then the real one's."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, more: bool) -> None:
    """Answer 413, after throwing away what is left of the body (up to DRAIN_MAX_BYTES).

    A server that closes a connection with unread bytes in it resets it, and the
    client may then lose the answer; read into nothing, it costs no memory.
    """
    drained = 0
    while more and drained <= DRAIN_MAX_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        drained += len(message.get("body", b""))
        more = bool(message.get("more_body", False))
    status, code = BODY_TOO_LARGE
    response = problem_response(
        Problem(status, code, f"The request body is over this endpoint's {limit} bytes.")
    )
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
