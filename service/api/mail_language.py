"""The request's `Accept-Language` becomes the language of the mail it sends."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from contract.language import Language
from service.api.middleware import HttpMiddleware
from service.mail_language import LANGUAGE


class MailLanguage(HttpMiddleware):
    """ASGI middleware: the request's `Accept-Language` becomes its mail language."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None
        )
        # Set in this task: the endpoint's worker thread runs in a copy of its context.
        token = LANGUAGE.set(Language.from_header(header))
        try:
            await self.app(scope, receive, send)
        finally:
            LANGUAGE.reset(token)
