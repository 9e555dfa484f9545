"""Security answers: how they are compared and how long they may be."""

from __future__ import annotations

import re
import unicodedata

ANSWER_MIN = 3
"""Fewest characters in a normalised new answer."""
ANSWER_MAX = 64
"""Most characters in a normalised new answer."""
ANSWER_WIRE_MAX = 1024
"""Most characters the service reads of any one answer as sent (before normalising)."""
QUESTIONS_TO_CHOOSE = 4
"""How many different questions a holder registers answers for."""
MAX_FAILED_ANSWERS = 3
"""Failed answer attempts before self-service is locked for the holder."""

_WHITESPACE = re.compile(r"\s+")


def normalise_answer(answer: str) -> str:
    """NFKC, case-folded, inner whitespace collapsed to one space, trimmed.

    Args:
        answer: The answer as typed.

    Returns:
        The form both the kiosk's checks and the service's hashes use.
    """
    folded = unicodedata.normalize("NFKC", answer).casefold()
    # casefold can produce sequences NFKC would change again (some ligatures).
    folded = unicodedata.normalize("NFKC", folded)
    return _WHITESPACE.sub(" ", folded).strip()


def answer_size_ok(answer: str) -> bool:
    """Whether a new answer is ANSWER_MIN to ANSWER_MAX characters once normalised."""
    return ANSWER_MIN <= len(normalise_answer(answer)) <= ANSWER_MAX
