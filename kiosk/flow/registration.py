"""Registering for self-service and changing a passcode: screen handlers of the flow.

Same machine, same tables as the unlock journey (`kiosk.flow.machine` registers
`HANDLERS`). The registration goes: passcode (VERIFY on the card) -> terms ->
contact details (checked here, then the holder proof and POST /v1/registrations)
-> choosing 4 questions -> an answer for each, typed twice -> the emailed code ->
registered. Changing a passcode is one screen: old passcode, new one twice, the
rules checked before the card is touched, then CHANGE REFERENCE DATA.

Passcodes, answers and codes arrive in intents and leave only in commands; no
state or checkpoint holds one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kiosk.answer_rules import QUESTIONS_TO_CHOOSE, answer_problem, normalise_answer
from kiosk.contact_rules import domains_text, email_problem, mobile_problem, normalise_mobile
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import Checkpoint, Journey, PinState, Step
from kiosk.flow.machine import (
    SERVICE_BACK_SEND_AGAIN,
    Result,
    _audit,
    _code_sent,
    _now,
    _stop,
    _unreachable,
    _with_journey,
    answers_accepted,
    card_status,
)

PASSCODE_MAX_DIGITS = 8
"""A card passcode fits the 8-byte PIN block (docs/design.md section 3)."""

TERMS_MISSING = (
    "Registering for self-service is not available at this kiosk just now. Please ask the RA team."
)
TERMS_DECLINED = (
    "You did not accept the terms, so you have not registered. Nothing you typed was kept."
)
CARD_NOW_LOCKED = (
    "Your card is now locked: the passcode was typed wrongly too many times. "
    "Nothing was changed on the card."
)
HOLDER_NOT_VERIFIED = (
    "Your card needs your passcode once more to finish. Type it and press Enter: "
    "your contact details are kept."
)


# ---------------------------------------------------------------- entry points


def start_registration(state: s.KioskState) -> Result:
    """From a working card's status screen: ask for the passcode first."""
    card = state.card
    if card is None:
        return state, []
    if not state.config.terms_version:
        # Without terms to show there is nothing the holder could agree to.
        status = card_status(card, state.now, state.config.expiring_warning_days)
        return replace(state, screen=replace(status, notice=TERMS_MISSING)), [
            _audit(state, "registration", "unavailable", why="no_terms")
        ]
    entry = s.PasscodeEntry(tries_left=card.tries_left)
    return replace(state, screen=entry), [_audit(state, "registration", "requested")]


def start_change_passcode(state: s.KioskState) -> Result:
    """From a working card's status screen: the change passcode form."""
    card = state.card
    if card is None:
        return state, []
    rules = tuple(state.config.passcode_rules.describe())
    screen = s.ChangePasscode(rules=rules, tries_left=card.tries_left)
    return replace(state, screen=screen), [_audit(state, "passcode_change", "requested")]


# ---------------------------------------------------------------- messages


def passcode_format_problem(passcode: str) -> str | None:
    """Why a typed value cannot be the card's passcode (no card try is spent on it)."""
    if not passcode:
        return "Type your passcode."
    if not passcode.isascii() or not passcode.isdigit() or len(passcode) > PASSCODE_MAX_DIGITS:
        return (
            f"A passcode is digits only, at most {PASSCODE_MAX_DIGITS}. Check it and type "
            "it again (no try was used)."
        )
    return None


def passcode_wrong_message(tries_left: int) -> str:
    """What the holder reads after a wrong passcode, with the plain last-try warning."""
    if tries_left <= 1:
        return (
            "That passcode is not right. You have 1 try left: if the next passcode is "
            "wrong, your card will lock."
        )
    return f"That passcode is not right. You have {tries_left} tries left."


def _card_action_failed(reason: str) -> str:
    return (
        f"Your card did not answer properly ({reason}). Take it out, put it back in and try again."
    )


def _card_now_blocked(state: s.KioskState) -> Result:
    """The card locked on a wrong passcode: back to its status, which offers the unlock."""
    card = state.card
    if card is None:
        return state, []
    card = replace(card, pin=PinState.BLOCKED, tries_left=0)
    state = replace(state, card=card)
    status = card_status(card, state.now, state.config.expiring_warning_days)
    commands: list[c.Command] = [c.WipeInputs()]
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    commands.append(_audit(state, "passcode", "blocked", screen=type(state.screen).__name__))
    return replace(state, screen=replace(status, notice=CARD_NOW_LOCKED), journey=None), commands


# ---------------------------------------------------------------- passcode


def _passcode_entry(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    card = state.card
    assert isinstance(screen, s.PasscodeEntry)
    if card is None:
        return state, []
    if isinstance(event, e.SubmitPasscode):
        if screen.checking:
            return state, []
        problem = passcode_format_problem(event.passcode)
        if problem is not None:
            return replace(state, screen=replace(screen, error=problem, notice=None)), [
                c.WipeInputs()
            ]
        checking = replace(screen, checking=True, error=None, notice=None)
        command: c.Command
        if screen.contacts is not None:
            # The card lost the verified passcode: VERIFY again in the same card
            # session as the holder proof, with the contacts already given.
            email, mobile = screen.contacts
            command = c.StartRegistration(
                serial=card.serial,
                uuid=card.uuid,
                email=email,
                mobile=mobile,
                terms_version=state.config.terms_version,
                passcode=event.passcode,
            )
        else:
            command = c.VerifyPasscode(serial=card.serial, passcode=event.passcode)
        return replace(state, screen=checking), [command]
    if not screen.checking:
        return state, []
    if isinstance(event, e.PasscodeVerified):
        terms = s.Terms(version=state.config.terms_version, text=state.config.terms_text)
        card = replace(card, tries_left=None)
        return replace(state, screen=terms, card=card), [
            c.WipeInputs(),
            _audit(state, "registration_passcode", "verified"),
        ]
    if isinstance(event, e.PasscodeWrong):
        wrong = replace(
            screen,
            tries_left=event.tries_left,
            error=passcode_wrong_message(event.tries_left),
            notice=None,
            checking=False,
        )
        state = replace(state, screen=wrong, card=replace(card, tries_left=event.tries_left))
        audit = _audit(state, "registration_passcode", "wrong", tries_left=event.tries_left)
        return state, [c.WipeInputs(), audit]
    if isinstance(event, e.PasscodeBlocked):
        return _card_now_blocked(state)
    if isinstance(event, e.CardActionFailed | e.HolderNotVerified):
        reason = event.reason if isinstance(event, e.CardActionFailed) else "not verified"
        failed = replace(screen, error=_card_action_failed(reason), checking=False)
        return replace(state, screen=failed), [
            c.WipeInputs(),
            _audit(state, "registration_passcode", "card_error", reason=reason),
        ]
    if screen.contacts is not None:
        back = replace(screen, checking=False)
        return _registration_reply(state, event, back)
    return state, []


# ---------------------------------------------------------------- terms


def _terms(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.Terms)
    if isinstance(event, e.AcceptTerms):
        details = s.ContactDetails(approved_domains=state.config.approved_email_domains)
        return replace(state, screen=details), [
            _audit(state, "terms", "accepted", terms_version=screen.version)
        ]
    if isinstance(event, e.DeclineTerms) and state.card is not None:
        status = card_status(state.card, state.now, state.config.expiring_warning_days)
        return replace(state, screen=replace(status, notice=TERMS_DECLINED)), [
            c.WipeInputs(),
            _audit(state, "terms", "declined", terms_version=screen.version),
        ]
    return state, []


# ---------------------------------------------------------------- contact details


def _contact_details(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    card = state.card
    assert isinstance(screen, s.ContactDetails)
    if card is None:
        return state, []
    if isinstance(event, e.SubmitContactDetails):
        if screen.sending:
            return state, []
        problems = [
            problem
            for problem in (
                email_problem(event.email, screen.approved_domains),
                mobile_problem(event.mobile),
            )
            if problem is not None
        ]
        if problems:
            return replace(state, screen=replace(screen, errors=tuple(problems), notice=None)), []
        email, mobile = event.email.strip(), normalise_mobile(event.mobile) or ""
        sending = replace(screen, errors=(), notice=None, sending=True, given=(email, mobile))
        return replace(state, screen=sending), [
            c.StartRegistration(
                serial=card.serial,
                uuid=card.uuid,
                email=email,
                mobile=mobile,
                terms_version=state.config.terms_version,
            )
        ]
    if not screen.sending:
        return state, []
    if isinstance(event, e.HolderNotVerified):
        entry = s.PasscodeEntry(
            tries_left=card.tries_left, notice=HOLDER_NOT_VERIFIED, contacts=screen.given
        )
        return replace(state, screen=entry), [
            _audit(state, "registration_started", "passcode_needed")
        ]
    if isinstance(event, e.CardActionFailed):
        failed = replace(screen, errors=(_card_action_failed(event.reason),), sending=False)
        return replace(state, screen=failed), [
            _audit(state, "registration_started", "card_error", reason=event.reason)
        ]
    return _registration_reply(state, event, replace(screen, sending=False))


def _registration_reply(
    state: s.KioskState, event: e.Event, back: s.ContactDetails | s.PasscodeEntry
) -> Result:
    """The service's answer to StartRegistration, from whichever screen sent it."""
    card = state.card
    assert card is not None
    config = state.config
    now = _now(state)
    if isinstance(event, e.RegistrationStarted):
        journey = Checkpoint(
            journey=Journey.REGISTRATION,
            step=Step.QUESTIONS,
            serial=card.serial,
            service_id=event.registration_id,
            started_at=now,
            updated_at=now,
            expires_at=event.expires_at,
        )
        state, commands = _with_journey(replace(state, screen=s.ChooseQuestions()), journey)
        return state, [
            c.WipeInputs(),
            *commands,
            c.LoadQuestionCatalogue(),
            _audit(state, "registration_started", "success", terms_version=config.terms_version),
        ]
    details = s.ContactDetails(approved_domains=config.approved_email_domains)
    if isinstance(event, e.EmailNotApproved):
        domains = event.approved_domains or config.approved_email_domains
        error = (
            f"Use a work email address ending in {domains_text(domains)}. "
            "The address you gave cannot be used for self-service."
        )
        refused = replace(details, approved_domains=domains, errors=(error,))
        return replace(state, screen=refused), [
            _audit(state, "registration_started", "email_not_approved")
        ]
    if isinstance(event, e.MobileRefused):
        refused = replace(details, errors=(mobile_problem("x") or "",))
        return replace(state, screen=refused), [
            _audit(state, "registration_started", "mobile_invalid")
        ]
    if isinstance(event, e.TermsOutdated):
        # The kiosk shows other terms than the service's: the holder cannot fix it.
        return _stop(state, s.StopReason.PROBLEM, "terms_outdated", registration=True)
    if isinstance(event, e.CardProofRefused):
        screen = s.CardNotRecognised(reason=e.UnreadableReason.SERVICE_REFUSED)
        return replace(state, screen=screen), [
            c.WipeInputs(),
            _audit(state, "registration_started", "holder_proof_invalid"),
        ]
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.START_REGISTRATION:
        resumed = replace(back, notice=SERVICE_BACK_SEND_AGAIN)
        return _unreachable(state, event, "starting your registration", resumed)
    if isinstance(event, e.ServiceRefused) and event.failed is e.Call.START_REGISTRATION:
        return _stop(state, s.StopReason.PROBLEM, event.code, registration=True)
    return state, []


# ---------------------------------------------------------------- questions


def _choose_questions(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.ChooseQuestions)
    if journey is None:
        return state, []
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
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.LOAD_QUESTION_CATALOGUE:
        retry = c.LoadQuestionCatalogue()
        return _unreachable(state, event, "fetching the security questions", screen, retry)
    if isinstance(event, e.RegistrationExpired):
        return _stop(state, s.StopReason.EXPIRED, "registration_expired")
    if screen.loading:
        return state, []
    if isinstance(event, e.ToggleQuestion):
        if event.question_id not in {q.id for q in screen.catalogue}:
            return state, []
        if event.question_id in screen.chosen:
            chosen = tuple(q for q in screen.chosen if q != event.question_id)
            return replace(state, screen=replace(screen, chosen=chosen, error=None)), []
        if len(screen.chosen) >= QUESTIONS_TO_CHOOSE:
            error = (
                f"You have chosen {QUESTIONS_TO_CHOOSE} questions already. Press Space on "
                "one of them to unchoose it, then choose another."
            )
            return replace(state, screen=replace(screen, error=error)), []
        chosen = (*screen.chosen, event.question_id)
        return replace(state, screen=replace(screen, chosen=chosen, error=None)), []
    if isinstance(event, e.SubmitChosenQuestions):
        if len(screen.chosen) != QUESTIONS_TO_CHOOSE:
            error = (
                f"Choose {QUESTIONS_TO_CHOOSE} different questions "
                f"(you have chosen {len(screen.chosen)})."
            )
            return replace(state, screen=replace(screen, error=error, notice=None)), []
        by_id = {q.id: q for q in screen.catalogue}
        questions = tuple(by_id[qid] for qid in screen.chosen)
        return replace(state, screen=s.RegistrationAnswers(questions=questions)), [
            _audit(state, "registration_questions", "chosen")
        ]
    return state, []


def _registration_answers(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.RegistrationAnswers)
    if journey is None:
        return state, []
    if isinstance(event, e.SubmitRegistrationAnswers):
        if screen.sending:
            return state, []
        errors: list[str] = []
        answers: dict[str, str] = {}
        for number, question in enumerate(screen.questions, start=1):
            answer = event.answers.get(question.id, "")
            repeat = event.repeats.get(question.id, "")
            problem = answer_problem(answer)
            if problem is None and normalise_answer(answer) != normalise_answer(repeat):
                problem = "The two copies are not the same. Type the answer again, twice."
            if problem is not None:
                errors.append(f"Answer {number}: {problem}")
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
        return answers_accepted(
            state, journey, event, s.RegistrationCodeSent, "registration_answers"
        )
    if isinstance(event, e.RegistrationAnswersRefused):
        error = (
            "The unlock service did not accept these answers. Make each answer 3 to 64 "
            "characters and try again."
        )
        refused = replace(screen, errors=(error,), sending=False)
        return replace(state, screen=refused), [
            c.WipeInputs(),
            _audit(state, "registration_answers", "refused"),
        ]
    if isinstance(event, e.RegistrationExpired):
        return _stop(state, s.StopReason.EXPIRED, "registration_expired")
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.SEND_REGISTRATION_ANSWERS:
        back = replace(screen, sending=False, notice=SERVICE_BACK_SEND_AGAIN, errors=())
        return _unreachable(state, event, "saving your answers", back)
    if isinstance(event, e.ServiceRefused) and event.failed is e.Call.SEND_REGISTRATION_ANSWERS:
        return _stop(state, s.StopReason.PROBLEM, event.code)
    return state, []


# ---------------------------------------------------------------- the code


_REGISTRATION_CALLS = (e.Call.CONFIRM_REGISTRATION, e.Call.RESEND_REGISTRATION_CODE)
_UNLOCK_ONLY = (e.CodeAccepted, e.UnlockExpired, e.ServiceUnreachable, e.ServiceRefused)


def _registration_code_sent(state: s.KioskState, event: e.Event) -> Result:
    """The unlock's code screen, with the registration's calls and ending."""
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.RegistrationCodeSent)
    if journey is None or state.card is None:
        return state, []
    if isinstance(event, e.RegistrationConfirmed):
        if not screen.sending:
            return state, []
        done = s.Registered(name=state.card.name)
        return replace(state, screen=done, journey=None), [
            c.WipeInputs(),
            c.ClearCheckpoint(),
            _audit(state, "registration", "confirmed"),
        ]
    if isinstance(event, e.RegistrationExpired):
        return _stop(state, s.StopReason.EXPIRED, "registration_expired")
    if isinstance(event, e.ServiceUnreachable) and event.failed in _REGISTRATION_CALLS:
        if event.failed is e.Call.CONFIRM_REGISTRATION:
            back = replace(screen, sending=False, error=None, notice=SERVICE_BACK_SEND_AGAIN)
            return _unreachable(state, event, "checking your code", back)
        back = replace(screen, sending=False, error=None, notice=None)
        retry = c.ResendRegistrationCode(registration_id=journey.service_id)
        return _unreachable(state, event, "sending you a new code", back, retry)
    if isinstance(event, e.ServiceRefused) and event.failed in _REGISTRATION_CALLS:
        return _stop(state, s.StopReason.PROBLEM, event.code)
    if isinstance(event, _UNLOCK_ONLY):
        return state, []  # the unlock's replies mean nothing here
    # Code checks, resend timing and the code replies are the unlock's own;
    # only the calls they make differ.
    new_state, commands = _code_sent(state, event)
    return new_state, [_for_registration(command, journey.service_id) for command in commands]


def _for_registration(command: c.Command, registration_id: str) -> c.Command:
    if isinstance(command, c.SendCode):
        return c.ConfirmRegistration(registration_id=registration_id, code=command.code)
    if isinstance(command, c.ResendCode):
        return c.ResendRegistrationCode(registration_id=registration_id)
    return command


# ---------------------------------------------------------------- change passcode


def _change_passcode(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    card = state.card
    assert isinstance(screen, s.ChangePasscode)
    if card is None:
        return state, []
    if isinstance(event, e.SubmitPasscodeChange):
        if screen.changing:
            return state, []
        errors: list[str] = []
        old_problem = passcode_format_problem(event.old)
        if old_problem is not None:
            errors.append("Your passcode now: " + old_problem)
        errors.extend(state.config.passcode_rules.check_pair(event.new, event.repeat))
        if not errors and event.new == event.old:
            errors.append("Choose a new passcode that is different from the one you have now.")
        if errors:
            refused = replace(screen, errors=tuple(errors), notice=None)
            return replace(state, screen=refused), [c.WipeInputs()]
        changing = replace(screen, errors=(), notice=None, changing=True)
        return replace(state, screen=changing), [
            c.ChangeCardPasscode(serial=card.serial, old=event.old, new=event.new)
        ]
    if not screen.changing:
        return state, []
    if isinstance(event, e.PasscodeChanged):
        done = s.PasscodeChanged(name=card.name, at=state.now)
        card = replace(card, pin=PinState.VERIFIED, tries_left=None)
        return replace(state, screen=done, card=card), [
            c.WipeInputs(),
            _audit(state, "passcode_change", "success"),
        ]
    if isinstance(event, e.PasscodeWrong):
        wrong = replace(
            screen,
            tries_left=event.tries_left,
            errors=(passcode_wrong_message(event.tries_left),),
            changing=False,
        )
        state = replace(state, screen=wrong, card=replace(card, tries_left=event.tries_left))
        audit = _audit(state, "passcode_change", "wrong", tries_left=event.tries_left)
        return state, [c.WipeInputs(), audit]
    if isinstance(event, e.PasscodeBlocked):
        return _card_now_blocked(state)
    if isinstance(event, e.CardActionFailed):
        failed = replace(screen, errors=(_card_action_failed(event.reason),), changing=False)
        return replace(state, screen=failed), [
            c.WipeInputs(),
            _audit(state, "passcode_change", "card_error", reason=event.reason),
        ]
    return state, []


HANDLERS: dict[type[s.Screen], Callable[[s.KioskState, e.Event], Result]] = {
    s.PasscodeEntry: _passcode_entry,
    s.Terms: _terms,
    s.ContactDetails: _contact_details,
    s.ChooseQuestions: _choose_questions,
    s.RegistrationAnswers: _registration_answers,
    s.RegistrationCodeSent: _registration_code_sent,
    s.ChangePasscode: _change_passcode,
}
"""Screen-state type -> handler, merged into the machine's table."""
