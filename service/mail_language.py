"""The language a request's mail goes out in: the holder's, sent by the kiosk.

The kiosk sends `Accept-Language: en` or `cy` with every call (docs/api.md); the
middleware here keeps it for the request, and the mailer fills the template from
that language's catalogue. The rules in `service.domain` never see it: which mail
goes is theirs, the language it is written in is not.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from contract.language import Language, translate

_language: ContextVar[Language] = ContextVar("mail_language", default=Language.ENGLISH)


def mail_language() -> Language:
    """The language of the request being answered (English outside one)."""
    return _language.get()


def in_language(template_text: str) -> str:
    """A config/mail/ template in the request's language (as written, when not translated)."""
    return translate(template_text, mail_language())


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
        token = _language.set(Language.from_header(header))
        try:
            await self.app(scope, receive, send)
        finally:
            _language.reset(token)
