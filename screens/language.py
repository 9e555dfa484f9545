"""The language the kiosk speaks now, and the `_` the screens write their words with.

One kiosk serves one holder at a time, so the language is the app's (set from the
deployment's default at start, switched by the holder's language key, back to the
default when a journey ends). Words written with `_` are `Phrase`s: a Static made
with one is drawn again in the new language when the holder switches
(`KioskScreen` does that), and so is every message from the flow.
"""

from __future__ import annotations

from typing import Any

from contract.language import N_, Language, Phrase, plural, translate

_current: list[Language] = [Language.ENGLISH]


def current() -> Language:
    """The language the screens are drawn in now."""
    return _current[0]


def set_current(language: Language) -> None:
    """Draw the screens in `language` from now on (the app redraws them)."""
    _current[0] = Language(language)


def _(msgid: str, **values: Any) -> Phrase:
    """`msgid` (English) in the current language, as a phrase that can be made again.

    Made at import (module constants) it is English: show those through `tr`.
    A Static made with one is drawn again when the language changes.
    """
    return N_(msgid, **values).in_language(current())


def ngettext(singular: str, plural_: str, count: int, **values: Any) -> Phrase:
    """A counted message in the current language (`{count}` filled in)."""
    return plural(singular, plural_, count, **values).in_language(current())


def tr(text: Any) -> Any:
    """`text` in the current language: phrases made again, plain strings looked up.

    Anything else (rich Text, None) is returned as it is.
    """
    if isinstance(text, str):
        return translate(text, current())
    return text


__all__ = ["Language", "N_", "Phrase", "_", "current", "ngettext", "set_current", "tr"]
