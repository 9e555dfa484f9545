"""The service's rules for new security answers, checked on the kiosk first (docs/api.md).

The rules themselves (normalisation, limits) live once in `contract.answers`;
this module turns them into the plain-language reasons a holder reads.
"""

from __future__ import annotations

from contract.answers import ANSWER_MAX, ANSWER_MIN, QUESTIONS_TO_CHOOSE, normalise_answer
from contract.language import N_

__all__ = ["ANSWER_MAX", "ANSWER_MIN", "QUESTIONS_TO_CHOOSE", "answer_problem", "normalise_answer"]


def answer_problem(answer: str) -> str | None:
    """Why a new answer is refused, or None when the service will take it.

    Args:
        answer: The answer as typed.

    Returns:
        A plain-language reason (never repeating the answer), or None.
    """
    size = len(normalise_answer(answer))
    if size == 0:
        return N_("Type an answer.")
    if size < ANSWER_MIN:
        return N_("Use at least {count} letters or digits.", count=ANSWER_MIN)
    if size > ANSWER_MAX:
        return N_("Use at most {count} characters.", count=ANSWER_MAX)
    return None
