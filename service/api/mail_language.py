"""The request's `Accept-Language` becomes the language of the mail it sends."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from contract.language import Language
from service.mail_language import LANGUAGE


class MailLanguage:
    """ASGI middleware: the request's `Accept-Language` becomes its mail language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None
        )
        # Set in this task: the endpoint's worker thread runs in a copy of its context.
        token = LANGUAGE.set(Language.from_header(header))
        try:
            await self.app(scope, receive, send)
        finally:
            LANGUAGE.reset(token)
