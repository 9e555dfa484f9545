"""What the screens with a masked field per security question share (unlocking, registering).

The same body (heading, what to type, messages, the answers, the sending line), and
the fields made once per set of questions (`AnswerFormScreen.ask`), so what the
holder typed survives every other render; each field sits under its question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from kiosk.flow.facts import Question
from screens.base import KioskScreen
from screens.form_lines import problem_lines
from screens.language import _, tr


def question_label(number: int, question: Question) -> Static:
    """The label above a question's answer field: "2. Name of your first school?"."""
    # Question text comes from the service: shown as plain text, never markup.
    return Static(Text(f"{number}. {tr(question.text)}"), classes="field-label")


class AnswerFormScreen(KioskScreen):
    """A screen whose answer fields are made for the questions in its state.

    F8 shows what was typed in the answer with the cursor (answers, never passcodes).
    """

    CAN_REVEAL = True
    #: The id of the line saying what went wrong ("errors" where it lists several).
    ERROR_ID: ClassVar[str] = "error"

    #: The ids of the questions the fields were made for, in order.
    _asked: tuple[str, ...] = ()

    def compose_body(self) -> ComposeResult:
        """Heading, what to type (`compose_lead`), messages, the answers, the sending line."""
        yield Static(_("Answer your security questions"), classes="heading")
        yield from self.compose_lead()
        yield from problem_lines(self.ERROR_ID)
        yield Vertical(id="answers")
        yield Static("", id="sending", classes="sending")

    def compose_lead(self) -> ComposeResult:
        """What to type (default: a line the state fills, `#lead`)."""
        yield Static("", id="lead", classes="lead")

    def ask(self, questions: Sequence[Question]) -> None:
        """Make the answer fields for `questions`, unless the fields were made for them.

        Args:
            questions: The questions in the state being rendered.
        """
        if self.asks_new(questions):
            self.replace_fields("answers", self.answer_fields(questions))

    def answer_fields(self, questions: Sequence[Question]) -> list[Widget]:
        """The labels and fields that go under `#answers` for `questions` (subclasses)."""
        return []

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
