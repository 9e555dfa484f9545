"""Registering: an answer to each chosen question, typed twice, masked."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from kiosk.answer_rules import ANSWER_MAX, ANSWER_MIN
from kiosk.flow.events import SubmitRegistrationAnswers
from kiosk.flow.states import KioskState, RegistrationAnswers
from screens.base import KioskScreen
from screens.widgets import SecretInput


class NewAnswerInput(SecretInput):
    """One copy of the masked answer to one chosen question."""

    def __init__(self, question_id: str, *, repeat: bool) -> None:
        """Make the first (or, with `repeat`, the second) field for `question_id`."""
        super().__init__(
            placeholder="Type the answer again" if repeat else "Type your answer",
            classes="answer",
        )
        self.question_id = question_id
        self.repeat = repeat


class RegistrationAnswersScreen(KioskScreen):
    """Each answer twice; Enter moves on and sends from the last field."""

    STATE = RegistrationAnswers
    KEY_HINTS = (("Enter", "Next field / Send"), ("Esc", "Stop"))

    CAN_REVEAL = True

    _asked: tuple[str, ...] = ()

    def compose_body(self) -> ComposeResult:
        """Heading, the rules, messages and the fields."""
        yield Static("Answer your security questions", classes="heading")
        yield Static(
            f"Type each answer twice. Answers are {ANSWER_MIN} to {ANSWER_MAX} characters; "
            "capital letters and extra spaces do not matter. Choose answers you will "
            "remember exactly.",
            classes="lead",
        )
        yield Static("", id="errors", classes="error")
        yield Static("", id="notice", classes="notice")
        yield Vertical(id="answers")
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Fields made once per set of questions; messages."""
        assert isinstance(screen, RegistrationAnswers)
        asked = tuple(q.id for q in screen.questions)
        if asked != self._asked:
            self._asked = asked
            self._build(screen)
        self.set_text("errors", Text("\n".join(screen.errors)) if screen.errors else None)
        self.set_text("notice", screen.notice)
        self.set_text("sending", "Saving your answers… please wait." if screen.sending else None)

    def _build(self, screen: RegistrationAnswers) -> None:
        widgets: list[Widget] = []
        for number, question in enumerate(screen.questions, start=1):
            widgets.append(Static(Text(f"{number}. {question.text}"), classes="field-label"))
            widgets.append(NewAnswerInput(question.id, repeat=False))
            widgets.append(NewAnswerInput(question.id, repeat=True))
        self.replace_fields("answers", widgets)

    def submit_step(self) -> None:
        """Send both copies of every answer, keyed by question id."""
        fields = list(self.query(NewAnswerInput))
        answers = {f.question_id: f.value for f in fields if not f.repeat}
        repeats = {f.question_id: f.value for f in fields if f.repeat}
        self.intent(SubmitRegistrationAnswers(answers=answers, repeats=repeats))
