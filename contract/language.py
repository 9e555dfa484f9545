"""The holder's language: English or Welsh (Cymraeg), and the phrases that follow it.

Kiosk and service both translate through the same gettext catalogue
(`catalogues/<language>/LC_MESSAGES/ssu.mo`, made by `make catalogues` with Babel).

A `Phrase` is a string that remembers how it was made: its English text is its
value (so rules, tests and logs see plain English), and `in_language` makes it
again from the catalogue of another language. The pure kiosk flow builds its
messages as phrases; the screens translate them when they draw, so a holder who
switches language sees every message in the new language at once.

Standard library and pydantic only: this is the bottom layer.
"""

from __future__ import annotations

import gettext
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUES = Path(__file__).resolve().parent.parent / "catalogues"
"""Where the compiled catalogues are (beside the code, like config/)."""
DOMAIN = "ssu"
"""The gettext domain: one catalogue for the kiosk's screens and the service's mail."""


class Language(StrEnum):
    """A language the kiosk and its mail speak (the value is its ISO 639-1 code)."""

    ENGLISH = "en"
    WELSH = "cy"

    @property
    def own_name(self) -> str:
        """The language's name in itself, as a language switch shows it."""
        return "English" if self is Language.ENGLISH else "Cymraeg"

    @property
    def other(self) -> Language:
        """The language a language key switches to."""
        return Language.WELSH if self is Language.ENGLISH else Language.ENGLISH

    @classmethod
    def from_header(cls, value: str | None) -> Language:
        """The language an `Accept-Language` header asks for (English when none fits).

        Only the first tag counts: the kiosk sends exactly one.
        """
        first = (value or "").split(",")[0].split(";")[0].strip().lower()
        return cls.WELSH if first.split("-")[0] == "cy" else cls.ENGLISH


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The compiled catalogue of `language` (no catalogue: the English of the source)."""
    if language is Language.ENGLISH:
        # English is the source language: msgids are the English text.
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, CATALOGUES, languages=[language.value], fallback=True)


def _value(value: Any, language: Language) -> Any:
    return value.in_language(language) if isinstance(value, Phrase) else value


class Phrase(str):
    """An English message that can be made again in another language.

    Build it with `N_` (one form) or `plural` (a count); values may be phrases
    themselves and are translated with it.
    """

    msgid: str
    msgid_plural: str | None
    number: int | None
    values: dict[str, Any]
    language: Language

    def __new__(
        cls,
        msgid: str,
        values: dict[str, Any] | None = None,
        msgid_plural: str | None = None,
        count: int | None = None,
        language: Language = Language.ENGLISH,
    ) -> Phrase:
        """Make the phrase; its value is its text in `language` (English by default)."""
        values = dict(values or {})
        self = super().__new__(cls, _made(msgid, values, msgid_plural, count, language))
        self.msgid = msgid
        self.msgid_plural = msgid_plural
        self.number = count
        self.values = values
        self.language = language
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles keep what the phrase was made from.
        return (Phrase, (self.msgid, self.values, self.msgid_plural, self.number, self.language))

    def in_language(self, language: Language) -> Phrase:
        """This phrase made again in `language` (English where the catalogue lacks it)."""
        if language is self.language:
            return self
        return Phrase(self.msgid, self.values, self.msgid_plural, self.number, language)


def _made(
    msgid: str,
    values: dict[str, Any],
    msgid_plural: str | None,
    count: int | None,
    language: Language,
) -> str:
    catalogue = translations(language)
    if msgid_plural is not None and count is not None:
        template = catalogue.ngettext(msgid, msgid_plural, count)
    else:
        template = catalogue.gettext(msgid)
    if not values:
        return template
    filled = {key: _value(value, language) for key, value in values.items()}
    try:
        return template.format(**filled)
    except (KeyError, IndexError, ValueError):
        # A broken translation must never hide the message: show the English.
        english = msgid if msgid_plural is None or count == 1 else msgid_plural
        return english.format(**filled)


def N_(msgid: str, **values: Any) -> Phrase:  # noqa: N802 - the gettext convention
    """A message (English) to translate when shown; `{name}` fields filled from `values`."""
    return Phrase(msgid, values)


def plural(singular: str, plural_: str, count: int, **values: Any) -> Phrase:
    """A message with a count (Welsh has six plural forms); `{count}` is filled in."""
    return Phrase(singular, {"count": count, **values}, plural_, count)


def translate(text: str, language: Language) -> str:
    """`text` in `language`: a phrase made again, a plain string looked up as a msgid.

    A plain string is a flow message that lost its phrase (a checkpoint read back):
    one without values is still found in the catalogue.
    """
    if isinstance(text, Phrase):
        return text.in_language(language)
    if language is Language.ENGLISH or not text:
        return text
    return translations(language).gettext(text)
