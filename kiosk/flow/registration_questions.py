"""A registration once the service opened it: the questions, the answers, the code.

Choosing 4 questions from the catalogue -> an answer for each, typed twice (PUT
to the service, which emails a registration code) -> the code -> registered.
`HANDLERS` maps these screen states to their handlers; `kiosk.flow.registration`
adds them to the registration's table.
"""

from __future__ import annotations

from dataclasses import replace

from contract.answers import ANSWER_MAX, ANSWER_MIN, QUESTIONS_TO_CHOOSE, normalise_answer
from contract.language import N_
from contract.problems import ProblemCode
from kiosk.answer_rules import answer_problem
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.code_entry import CodeCalls, code_entry_handler, code_sent
from kiosk.flow.common import RESUMED, HandlerTable, Result, audit, handler_for, journey_of, stop
from kiosk.flow.facts import Checkpoint
from kiosk.flow.service_trouble import service_trouble

ANSWER_ERROR = "Answer {number}: {problem}"
"""The msgid of the message about one new answer (made below with `N_`, where the
catalogue's extraction finds it): the screen puts its `problem` beside answer `number`."""


def resumed_choice() -> s.ChooseQuestions:
    """The question choice of a registration resumed after a restart (catalogue to load)."""
    return s.ChooseQuestions(notice=RESUMED)


def _choose_questions(
    state: s.KioskState, event: e.Event, screen: s.ChooseQuestions, _journey: Checkpoint
) -> Result:
    if isinstance(event, e.CatalogueLoaded):
        ids = {q.id for q in event.questions}
        loaded = replace(
            screen,
            catalogue=event.questions,
            chosen=tuple(q for q in screen.chosen if q in ids),
            loading=False,
            from_cache=event.from_cache,
        )
        return replace(state, screen=loaded), []
    if isinstance(event, e.RegistrationExpired):
        return stop(state, s.StopReason.EXPIRED, ProblemCode.REGISTRATION_EXPIRED)
    trouble = service_trouble(state, event, (e.Call.LOAD_QUESTION_CATALOGUE,))
    if trouble is not None:
        return trouble
    if isinstance(event, e.ToggleQuestion):
        return _toggle(state, screen, event.question_id)
    if isinstance(event, e.SubmitChosenQuestions):
        if len(screen.chosen) != QUESTIONS_TO_CHOOSE:
            error = N_(
                "Choose {count} different questions (you have chosen {chosen}).",
                count=QUESTIONS_TO_CHOOSE,
                chosen=len(screen.chosen),
            )
            return replace(state, screen=replace(screen, error=error, notice=None)), []
        by_id = {q.id: q for q in screen.catalogue}
        questions = tuple(by_id[qid] for qid in screen.chosen)
        return replace(state, screen=s.RegistrationAnswers(questions=questions)), [
            audit(state, "registration_questions", "chosen")
        ]
    return state, []


def _toggle(state: s.KioskState, screen: s.ChooseQuestions, question_id: str) -> Result:
    if question_id not in {q.id for q in screen.catalogue}:
        return state, []
    if question_id in screen.chosen:
        chosen = tuple(q for q in screen.chosen if q != question_id)
        return replace(state, screen=replace(screen, chosen=chosen, error=None)), []
    if len(screen.chosen) >= QUESTIONS_TO_CHOOSE:
        error = N_(
            "You have chosen {count} questions already. Press Space on "
            "one of them to unchoose it, then choose another.",
            count=QUESTIONS_TO_CHOOSE,
        )
        return replace(state, screen=replace(screen, error=error)), []
    chosen = (*screen.chosen, question_id)
    return replace(state, screen=replace(screen, chosen=chosen, error=None)), []


def _registration_answers(
    state: s.KioskState, event: e.Event, screen: s.RegistrationAnswers, journey: Checkpoint
) -> Result:
    if isinstance(event, e.SubmitRegistrationAnswers):
        errors: list[str] = []
        answers: dict[str, str] = {}
        for number, question in enumerate(screen.questions, start=1):
            answer = event.answers.get(question.id, "")
            repeat = event.repeats.get(question.id, "")
            problem = answer_problem(answer)
            if problem is None and normalise_answer(answer) != normalise_answer(repeat):
                problem = N_("The two copies are different. Type the answer in both boxes again.")
            if problem is not None:
                errors.append(N_("Answer {number}: {problem}", number=number, problem=problem))
            answers[question.id] = answer
        if errors:
            return replace(state, screen=replace(screen, errors=tuple(errors), notice=None)), []
        sending = replace(screen, errors=(), notice=None, sending=True)
        return replace(state, screen=sending), [
            c.SendRegistrationAnswers(registration_id=journey.service_id, answers=answers)
        ]
    if not screen.sending:
        return state, []
    if isinstance(event, e.AnswersAccepted):
        return code_sent(state, journey, event, s.RegistrationCodeEntry, "registration_answers")
    if isinstance(event, e.RegistrationAnswersRefused):
        error = N_(
            "The unlock service did not accept these answers. Make each answer "
            "{least} to {most} characters and try again.",
            least=ANSWER_MIN,
            most=ANSWER_MAX,
        )
        refused = replace(screen, errors=(error,), sending=False)
        return replace(state, screen=refused), [
            c.WipeInputs(),
            audit(state, "registration_answers", "refused"),
        ]
    if isinstance(event, e.RegistrationExpired):
        return stop(state, s.StopReason.EXPIRED, ProblemCode.REGISTRATION_EXPIRED)
    return service_trouble(state, event, (e.Call.SEND_REGISTRATION_ANSWERS,)) or (state, [])


def _registered(state: s.KioskState, journey: Checkpoint, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.RegistrationCodeEntry)
    if not screen.sending or state.card is None:
        return state, []
    policy = event.policy if isinstance(event, e.RegistrationConfirmed) else None
    done = s.Registered(name=state.card.name, policy=policy)
    return replace(state, screen=done, journey=None), [
        c.WipeInputs(),
        c.ClearCheckpoint(),
        audit(state, "registration", "confirmed"),
    ]


REGISTRATION_CODE = CodeCalls(
    send=c.ConfirmRegistration,
    resend=c.ResendRegistrationCode,
    calls=(e.Call.CONFIRM_REGISTRATION, e.Call.RESEND_REGISTRATION_CODE),
    done=e.RegistrationConfirmed,
    on_done=_registered,
    expired=e.RegistrationExpired,
    expired_why=ProblemCode.REGISTRATION_EXPIRED,
)
"""The registration's code screen: its code calls; an accepted code completes it."""

HANDLERS: HandlerTable = {
    s.ChooseQuestions: handler_for(s.ChooseQuestions, journey_of, _choose_questions),
    s.RegistrationAnswers: handler_for(s.RegistrationAnswers, journey_of, _registration_answers),
    s.RegistrationCodeEntry: code_entry_handler(REGISTRATION_CODE),
}
"""Screen-state type -> handler, for the registration's questions, answers and code."""
