"""Registering: choose 4 different security questions from the catalogue, by keyboard."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.answer_rules import QUESTIONS_TO_CHOOSE
from kiosk.flow.events import SubmitChosenQuestions, ToggleQuestion
from kiosk.flow.facts import Question
from kiosk.flow.states import ChooseQuestions, KioskState
from screens.base import KioskScreen
from screens.form_lines import problem_lines
from screens.language import Language, _, current, tr


def _prompt(question: Question, chosen: tuple[str, ...]) -> Text:
    # Catalogue text comes from the service: plain Text, never markup.
    if question.id in chosen:
        return Text.assemble(("[✓] ", "bold"), (tr(question.text), "bold"))
    return Text.assemble("[ ] ", tr(question.text))


class ChooseQuestionsScreen(KioskScreen):
    """Up/Down to move, Space to choose or unchoose, Enter when 4 are chosen."""

    STATE = ChooseQuestions
    KEY_HINTS = (
        ("↑ ↓", _("Move")),
        ("Space", _("Choose")),
        ("Enter", _("Done")),
        ("Esc", _("Stop")),
    )
    BINDINGS = [Binding("space", "toggle_question", "Choose", show=False)]

    _ids: tuple[str, ...] = ()
    _chosen: tuple[str, ...] = ()
    _language: Language | None = None

    def compose_body(self) -> ComposeResult:
        """Heading, how to choose, messages and the list."""
        yield Static(_("Choose your security questions"), classes="heading")
        yield Static(
            _(
                "Choose {count} different questions whose answers you will "
                "remember and others cannot guess. To unlock your card later you will be "
                "asked some of them.",
                count=QUESTIONS_TO_CHOOSE,
            ),
            classes="lead",
        )
        yield Static("", id="count", classes="detail")
        yield from problem_lines()
        yield Static("", id="loading", classes="sending")
        yield OptionList(id="question-list")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The catalogue with the chosen ones ticked; rebuilt only when it changes."""
        assert isinstance(screen, ChooseQuestions)
        options = self.query_one("#question-list", OptionList)
        ids = tuple(q.id for q in screen.catalogue)
        if ids != self._ids:
            self._ids = ids
            options.clear_options()
            options.add_options(
                [Option(_prompt(q, screen.chosen), id=q.id) for q in screen.catalogue]
            )
            if ids:
                options.highlighted = 0
        elif screen.chosen != self._chosen or current() is not self._language:
            for index, question in enumerate(screen.catalogue):
                options.replace_option_prompt_at_index(index, _prompt(question, screen.chosen))
        self._chosen = screen.chosen
        self._language = current()
        options.display = bool(ids)
        self.set_text(
            "count",
            _("Chosen: {chosen} of {count}.", chosen=len(screen.chosen), count=QUESTIONS_TO_CHOOSE)
            if ids
            else None,
        )
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        self.set_text(
            "loading", _("Getting the questions… please wait.") if screen.loading else None
        )
        if ids and self.is_current and self.focused is None:
            options.focus()

    def focus_first_empty(self) -> None:
        """The list takes the keys (this screen has no text fields)."""
        options = self.query_one("#question-list", OptionList)
        if options.display:
            options.focus()

    def action_toggle_question(self) -> None:
        """Space: choose the highlighted question, or unchoose it."""
        options = self.query_one("#question-list", OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self._ids):
            return
        self.intent(ToggleQuestion(question_id=self._ids[index]))

    def action_enter(self) -> None:
        """Enter: done choosing (the flow checks there are 4)."""
        self.intent(SubmitChosenQuestions())
