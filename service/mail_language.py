"""The language a request's mail goes out in: the holder's, sent by the kiosk.

The kiosk sends `Accept-Language: en` or `cy` with every call (docs/api.md); the
middleware (`service.api.mail_language`) keeps it for the request, and the mailer
fills the template from that language's catalogue. The rules in `service.domain`
never see it: which mail goes is theirs, the language it is written in is not.
"""

from __future__ import annotations

from contextvars import ContextVar

from contract.language import Language, translate

LANGUAGE: ContextVar[Language] = ContextVar("mail_language", default=Language.ENGLISH)


def mail_language() -> Language:
    """The language of the request being answered (English outside one)."""
    return LANGUAGE.get()


def in_language(template_text: str) -> str:
    """A config/mail/ template in the request's language (as written, when not translated)."""
    return translate(template_text, mail_language())
