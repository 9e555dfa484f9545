"""Registering for self-service, up to the service opening the registration.

The registration goes: passcode (VERIFY on the card) -> terms -> contact details
(checked here, then the holder proof and POST /v1/registrations) -> choosing 4
questions and an answer for each (`kiosk.flow.registration_questions`) -> the
emailed code -> registered. `HANDLERS` maps each screen state of the
registration to its handler.

Passcodes, answers and codes arrive in intents and leave only in commands; no
state or checkpoint holds one.
"""

from __future__ import annotations

from dataclasses import replace

from contract.language import N_
from contract.problems import ProblemCode
from kiosk.contact_rules import (
    contact_problems,
    domains_text,
    mobile_problem,
    normalise_mobile,
)
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import registration_questions
from kiosk.flow import states as s
from kiosk.flow.card_passcode import (
    card_action_failed_message,
    card_now_blocked,
    passcode_format_problem,
    passcode_wrong,
    passcode_wrong_message,
)
from kiosk.flow.code_entry import resumed_code_entry
from kiosk.flow.common import (
    HandlerTable,
    Result,
    audit,
    card_of,
    current_time,
    handler_for,
    status_of,
    stop,
    with_journey,
)
from kiosk.flow.facts import CardFacts, Checkpoint, Journey, PinState, Step
from kiosk.flow.service_trouble import service_trouble

TERMS_MISSING = N_(
    "Registering for self-service is not available at this kiosk just now. Please ask the RA team."
)
TERMS_DECLINED = N_(
    "You did not accept the terms, so you have not registered. Nothing you typed was kept."
)
HOLDER_NOT_VERIFIED = N_(
    "Your card needs your passcode once more to finish. Type it and press Enter: "
    "your contact details are kept."
)


def start_registration(state: s.KioskState) -> Result:
    """From a working card's status screen: ask for the passcode first."""
    card = state.card
    if card is None:
        return state, []
    if not state.config.terms_version:
        # Without terms to show there is nothing the holder could agree to.
        status = replace(status_of(state, card), notice=TERMS_MISSING)
        return replace(state, screen=status), [
            audit(state, "registration", "unavailable", why="no_terms")
        ]
    entry = s.PasscodeEntry(tries_left=card.tries_left)
    return replace(state, screen=entry), [audit(state, "registration", "requested")]


def resume_registration(checkpoint: Checkpoint, card: CardFacts) -> s.Screen | None:
    """The screen a saved registration resumes at, or None when there is nothing to resume."""
    # A card locked since (three wrong passcodes elsewhere) cannot prove its holder
    # any more; the registration is abandoned and the holder starts from its status.
    if card.pin is PinState.BLOCKED:
        return None
    if checkpoint.step is Step.CODE:
        return resumed_code_entry(checkpoint, s.RegistrationCodeEntry)
    if checkpoint.step is Step.QUESTIONS:
        return registration_questions.resumed_choice()
    return None


# ---------------------------------------------------------------- passcode


def _passcode_entry(
    state: s.KioskState, event: e.Event, screen: s.PasscodeEntry, card: CardFacts
) -> Result:
    if isinstance(event, e.SubmitPasscode):
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
            command = _start_registration(state, card, email, mobile, event.passcode)
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
            audit(state, "registration_passcode", "verified"),
        ]
    if isinstance(event, e.PasscodeWrong):
        left = event.tries_left
        message = passcode_wrong_message(left)
        wrong = replace(screen, tries_left=left, error=message, notice=None, checking=False)
        return passcode_wrong(state, card, wrong, "registration_passcode", left)
    if isinstance(event, e.PasscodeBlocked):
        return card_now_blocked(state)
    if isinstance(event, e.CardActionFailed | e.HolderNotVerified):
        reason = event.reason if isinstance(event, e.CardActionFailed) else N_("not verified")
        failed = replace(screen, error=card_action_failed_message(reason), checking=False)
        return replace(state, screen=failed), [
            c.WipeInputs(),
            audit(state, "registration_passcode", "card_error", reason=reason),
        ]
    if screen.contacts is not None:
        return _registration_reply(state, card, event)
    return state, []


def _start_registration(
    state: s.KioskState, card: CardFacts, email: str, mobile: str, passcode: str | None = None
) -> c.StartRegistration:
    return c.StartRegistration(
        serial=card.serial,
        uuid=card.uuid,
        email=email,
        mobile=mobile,
        terms_version=state.config.terms_version,
        passcode=passcode,
    )


# ---------------------------------------------------------------- terms


def _terms(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.Terms)
    if isinstance(event, e.AcceptTerms):
        details = s.ContactDetails(approved_domains=state.config.approved_email_domains)
        return replace(state, screen=details), [
            audit(state, "terms", "accepted", terms_version=screen.version)
        ]
    if isinstance(event, e.DeclineTerms) and state.card is not None:
        status = replace(status_of(state, state.card), notice=TERMS_DECLINED)
        return replace(state, screen=status), [
            c.WipeInputs(),
            audit(state, "terms", "declined", terms_version=screen.version),
        ]
    return state, []


# ---------------------------------------------------------------- contact details


def _contact_details(
    state: s.KioskState, event: e.Event, screen: s.ContactDetails, card: CardFacts
) -> Result:
    if isinstance(event, e.SubmitContactDetails):
        problems = contact_problems(event.email, event.mobile, screen.approved_domains)
        if problems:
            return replace(state, screen=replace(screen, errors=problems, notice=None)), []
        email, mobile = event.email.strip(), normalise_mobile(event.mobile) or ""
        sending = replace(screen, errors=(), notice=None, sending=True, given=(email, mobile))
        return replace(state, screen=sending), [_start_registration(state, card, email, mobile)]
    if not screen.sending:
        return state, []
    if isinstance(event, e.HolderNotVerified):
        entry = s.PasscodeEntry(
            tries_left=card.tries_left, notice=HOLDER_NOT_VERIFIED, contacts=screen.given
        )
        return replace(state, screen=entry), [
            audit(state, "registration_started", "passcode_needed")
        ]
    if isinstance(event, e.CardActionFailed):
        failed = replace(screen, errors=(card_action_failed_message(event.reason),), sending=False)
        return replace(state, screen=failed), [
            audit(state, "registration_started", "card_error", reason=event.reason)
        ]
    return _registration_reply(state, card, event)


def _registration_reply(state: s.KioskState, card: CardFacts, event: e.Event) -> Result:
    """The service's answer to StartRegistration, from whichever screen sent it."""
    config = state.config
    if isinstance(event, e.RegistrationStartedReply):
        now = current_time(state)
        journey = Checkpoint(
            journey=Journey.REGISTRATION,
            step=Step.QUESTIONS,
            serial=card.serial,
            service_id=event.registration_id,
            started_at=now,
            updated_at=now,
            expires_at=event.expires_at,
        )
        state, commands = with_journey(replace(state, screen=s.ChooseQuestions()), journey)
        return state, [
            c.WipeInputs(),
            *commands,
            c.LoadQuestionCatalogue(),
            audit(state, "registration_started", "success", terms_version=config.terms_version),
        ]
    details = s.ContactDetails(approved_domains=config.approved_email_domains)
    if isinstance(event, e.EmailNotApproved):
        domains = event.approved_domains or config.approved_email_domains
        error = N_(
            "Use a work email address ending in {domains}. "
            "The address you gave cannot be used for self-service.",
            domains=domains_text(domains),
        )
        refused = replace(details, approved_domains=domains, errors=(error,))
        return replace(state, screen=refused), [
            audit(state, "registration_started", ProblemCode.EMAIL_NOT_APPROVED)
        ]
    if isinstance(event, e.MobileRefused):
        refused = replace(details, errors=(mobile_problem("x") or "",))
        return replace(state, screen=refused), [
            audit(state, "registration_started", ProblemCode.MOBILE_INVALID)
        ]
    if isinstance(event, e.TermsOutdated):
        # The kiosk shows other terms than the service's: the holder cannot fix it.
        return stop(state, s.StopReason.PROBLEM, ProblemCode.TERMS_OUTDATED, registration=True)
    if isinstance(event, e.CardProofRefused):
        screen = s.CardNotRecognised(reason=e.UnreadableReason.SERVICE_REFUSED)
        return replace(state, screen=screen), [
            c.WipeInputs(),
            audit(state, "registration_started", ProblemCode.HOLDER_PROOF_INVALID),
        ]
    return service_trouble(state, event, (e.Call.START_REGISTRATION,)) or (state, [])


def _registration_stopped(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Continue) and state.card is not None:
        return replace(state, screen=status_of(state, state.card)), []
    return state, []


HANDLERS: HandlerTable = {
    s.PasscodeEntry: handler_for(s.PasscodeEntry, card_of, _passcode_entry),
    s.Terms: _terms,
    s.ContactDetails: handler_for(s.ContactDetails, card_of, _contact_details),
    **registration_questions.HANDLERS,
    s.RegistrationStopped: _registration_stopped,
}
"""Screen-state type -> handler, for the whole registration."""
