"""What the service's ASGI middlewares share.

Each acts on HTTP requests only: any other scope (the server's lifespan) passes
straight through. Some need to know whether, and how, the answer has started.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HttpMiddleware(ABC):
    """An ASGI middleware around `app` for HTTP requests; other scopes pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Deal with one HTTP request, calling `self.app` for what is behind."""


class AnswerWatch:
    """A `send` that passes every message on and notes the status once the answer starts."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None
        """The answer's status once its start has gone; None before."""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)
