"""What the screens with a masked field per security question share (unlocking, registering).

The fields are made once per set of questions (`AnswerFormScreen.asks_new`), so what
the holder typed survives every other render; each field sits under its question.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from kiosk.flow.facts import Question
from screens.base import KioskScreen
from screens.language import tr


def question_label(number: int, question: Question) -> Static:
    """The label above a question's answer field: "2. Name of your first school?"."""
    # Question text comes from the service: shown as plain text, never markup.
    return Static(Text(f"{number}. {tr(question.text)}"), classes="field-label")


class AnswerFormScreen(KioskScreen):
    """A screen whose answer fields are made for the questions in its state."""

    #: The ids of the questions the fields were made for, in order.
    _asked: tuple[str, ...] = ()

    def asks_new(self, questions: Sequence[Question]) -> bool:
        """Whether `questions` are not those the fields were made for (from now on they are).

        Args:
            questions: The questions in the state being rendered.

        Returns:
            True when the fields must be made again.
        """
        asked = tuple(question.id for question in questions)
        if asked == self._asked:
            return False
        self._asked = asked
        return True
