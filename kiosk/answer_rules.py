"""The service's rules for new security answers, checked on the kiosk first (docs/api.md).

Answers are compared after normalisation: Unicode NFKC, case-folded, inner
whitespace collapsed to one space, trimmed; a new answer must be 3 to 64
characters long in that form. Pure functions, so the flow can use them.
"""

from __future__ import annotations

import re
import unicodedata

ANSWER_MIN = 3
"""Fewest characters in a normalised answer."""
ANSWER_MAX = 64
"""Most characters in a normalised answer."""
QUESTIONS_TO_CHOOSE = 4
"""How many different questions a holder registers answers for."""

_WHITESPACE = re.compile(r"\s+")


def normalise_answer(answer: str) -> str:
    """NFKC, case-folded, inner whitespace collapsed to one space, trimmed (as the service)."""
    folded = unicodedata.normalize("NFKC", answer).casefold()
    # casefold can produce sequences NFKC would change again (some ligatures).
    folded = unicodedata.normalize("NFKC", folded)
    return _WHITESPACE.sub(" ", folded).strip()


def answer_problem(answer: str) -> str | None:
    """Why a new answer is refused, or None when the service will take it.

    Args:
        answer: The answer as typed.

    Returns:
        A plain-language reason (never repeating the answer), or None.
    """
    size = len(normalise_answer(answer))
    if size == 0:
        return "Type an answer."
    if size < ANSWER_MIN:
        return f"Use at least {ANSWER_MIN} letters or digits."
    if size > ANSWER_MAX:
        return f"Use at most {ANSWER_MAX} characters."
    return None
