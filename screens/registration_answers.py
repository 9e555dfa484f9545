"""Registering: an answer to each chosen question, typed twice, masked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Static

from contract.language import Phrase
from kiosk.answer_rules import ANSWER_MAX, ANSWER_MIN
from kiosk.flow.events import SubmitRegistrationAnswers
from kiosk.flow.facts import Question
from kiosk.flow.registration_questions import ANSWER_ERROR
from kiosk.flow.states import KioskState, RegistrationAnswers
from screens.answer_forms import AnswerFormScreen, question_label
from screens.form_lines import error_lines
from screens.language import _, ngettext, tr
from screens.widgets import SecretInput
from screens.wording import show_text


class NewAnswerInput(SecretInput):
    """One copy of the masked answer to one chosen question."""

    def __init__(self, question_id: str, *, repeat: bool) -> None:
        """Make the first (or, with `repeat`, the second) field for `question_id`."""
        super().__init__(
            placeholder=_("Type the answer again") if repeat else _("Type your answer"),
            classes="answer",
        )
        self.question_id = question_id
        self.repeat = repeat


_ANSWER_ERROR = re.compile(r"^Answer (\d+): (.+)$", re.DOTALL)


def answer_error(error: str) -> tuple[int, str] | None:
    """The answer an "Answer N: problem" message is about, and its problem, or None.

    The flow's message is a phrase: its problem is taken as the phrase it was made
    with, so it is still drawn in the holder's language. A plain string (a message
    read back from a checkpoint) is read by its English words.
    """
    if isinstance(error, Phrase) and error.msgid == ANSWER_ERROR:
        return int(error.values["number"]), error.values["problem"]
    match = _ANSWER_ERROR.match(error)
    return (int(match.group(1)), match.group(2)) if match else None


def split_errors(errors: tuple[str, ...]) -> tuple[tuple[str, ...], dict[int, str]]:
    """The flow's messages: those about no one answer, and "Answer N: ..." by N."""
    general: list[str] = []
    by_answer: dict[int, str] = {}
    for error in errors:
        about = answer_error(error)
        if about and about[0] not in by_answer:
            by_answer[about[0]] = about[1]
        else:
            general.append(error)
    return tuple(general), by_answer


class RegistrationAnswersScreen(AnswerFormScreen):
    """Each answer twice; Enter moves on and sends from the last field."""

    STATE = RegistrationAnswers
    KEY_HINTS = (("Enter", _("Next field / Send")), ("Esc", _("Stop")))
    ERROR_ID = "errors"

    _by_answer: dict[int, str] = {}  # noqa: RUF012 - replaced, never mutated
    _labels: dict[int, Static] = {}  # noqa: RUF012
    _answer_errors: dict[int, Static] = {}  # noqa: RUF012

    def compose_lead(self) -> ComposeResult:
        """What answers may be."""
        yield Static(
            _(
                "Type each answer twice. Answers are {least} to {most} characters; "
                "capital letters and extra spaces do not matter. Choose answers you will "
                "remember exactly.",
                least=ANSWER_MIN,
                most=ANSWER_MAX,
            ),
            classes="lead",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Fields made once per set of questions; messages beside the answer they are about."""
        assert isinstance(screen, RegistrationAnswers)
        self.ask(screen.questions)
        general, by_answer = split_errors(screen.errors)
        self._by_answer = by_answer
        if by_answer:
            # The messages sit beside their answers, which may be out of sight.
            numbers = _(" and ").join(str(n) for n in sorted(by_answer))
            general = (
                *general,
                ngettext(
                    "Check answer {numbers}: the problem is shown beside it.",
                    "Check answers {numbers}: the problem is shown beside it.",
                    len(by_answer),
                    numbers=numbers,
                ),
            )
        self.set_text("errors", error_lines(general))
        for number, widget in self._answer_errors.items():
            message = by_answer.get(number)
            widget.display = bool(message)
            if message:
                show_text(widget, Text(tr(message)))
        self.set_text("notice", screen.notice)
        self.set_text("sending", _("Saving your answers… please wait.") if screen.sending else None)
        self.point_at_problem(screen.errors)

    def answer_fields(self, questions: Sequence[Question]) -> list[Widget]:
        """Each question's label and its message line, then its answer's two fields."""
        widgets: list[Widget] = []
        labels: dict[int, Static] = {}
        errors: dict[int, Static] = {}
        for number, question in enumerate(questions, start=1):
            # No ids: the old fields are still being removed while these mount.
            label = question_label(number, question)
            error = Static("", classes="error field-error")
            error.display = False
            labels[number] = label
            errors[number] = error
            widgets += [label, error]
            widgets.append(NewAnswerInput(question.id, repeat=False))
            widgets.append(NewAnswerInput(question.id, repeat=True))
        self._labels, self._answer_errors = labels, errors
        return widgets

    def field_needing_attention(self) -> Input | None:
        """The first copy of the first answer with a problem, or the first empty field."""
        fields = self.fields()
        firsts = [f for f in fields if isinstance(f, NewAnswerInput) and not f.repeat]
        candidates = [fields.index(firsts[n - 1]) for n in self._by_answer if n <= len(firsts)]
        candidates += [i for i, f in enumerate(fields) if not f.value][:1]
        if candidates:
            return fields[min(candidates)]
        return super().field_needing_attention()

    def problem_anchor(self, field: Input) -> Widget | None:
        """The label of the question the field answers (its message is right below it)."""
        if isinstance(field, NewAnswerInput) and field.question_id in self._asked:
            return self._labels.get(self._asked.index(field.question_id) + 1)
        return super().problem_anchor(field)

    def submit_step(self) -> None:
        """Send both copies of every answer, keyed by question id."""
        fields = list(self.query(NewAnswerInput))
        answers = {f.question_id: f.value for f in fields if not f.repeat}
        repeats = {f.question_id: f.value for f in fields if f.repeat}
        self.intent(SubmitRegistrationAnswers(answers=answers, repeats=repeats))
