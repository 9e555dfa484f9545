"""Security questions: one masked field per question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from textual.widget import Widget
from textual.widgets import Input

from kiosk.flow.events import SubmitAnswers
from kiosk.flow.facts import Question
from kiosk.flow.states import KioskState, Questions
from screens.answer_forms import AnswerFormScreen, question_label
from screens.language import _, ngettext
from screens.widgets import SecretInput

_ANSWER_NUMBER = re.compile(r"\bAnswer (\d+)\b")


class AnswerInput(SecretInput):
    """The masked answer to one security question."""

    def __init__(self, question_id: str) -> None:
        """Make the field for question `question_id`."""
        super().__init__(placeholder=_("Type your answer"), classes="answer")
        self.question_id = question_id


class QuestionsScreen(AnswerFormScreen):
    """Answer your security questions, then Enter to send them."""

    STATE = Questions
    KEY_HINTS = (("Enter", _("Next answer / Send")), ("Esc", _("Stop")))

    _problem_text: str | None = None

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the questions (fields made once per set), attempts and messages."""
        assert isinstance(screen, Questions)
        self.ask(screen.questions)
        self.set_text(
            "lead",
            ngettext(
                "Type the answers you gave when you registered. Capital letters and extra "
                "spaces do not matter. You have {count} attempt left.",
                "Type the answers you gave when you registered. Capital letters and extra "
                "spaces do not matter. You have {count} attempts left.",
                screen.attempts_left,
            ),
        )
        self.set_text("error", screen.error)
        self._problem_text = screen.error
        self.point_at_problem(screen.error)
        self.set_text("notice", screen.notice)
        self.set_text(
            "sending", _("Checking your answers… please wait.") if screen.sending else None
        )

    def answer_fields(self, questions: Sequence[Question]) -> list[Widget]:
        """Each question's label, and its answer's field under it."""
        widgets: list[Widget] = []
        for number, question in enumerate(questions, start=1):
            widgets.append(question_label(number, question))
            widgets.append(AnswerInput(question.id))
        return widgets

    def field_needing_attention(self) -> Input | None:
        """The first empty answer; else the answer the message names; else the first."""
        fields = self.fields()
        named = _ANSWER_NUMBER.search(self._problem_text or "")
        for field in fields:
            if not field.value:
                return field
        if named and 0 < int(named.group(1)) <= len(fields):
            return fields[int(named.group(1)) - 1]
        return fields[0] if fields else None

    def submit_step(self) -> None:
        """Send every answer, keyed by question id."""
        answers = {field.question_id: field.value for field in self.query(AnswerInput)}
        self.intent(SubmitAnswers(answers=answers))
