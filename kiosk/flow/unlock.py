"""Unlocking a locked card: the screen handlers of the unlock journey.

Card proof and POST /v1/unlocks -> the security questions, or the choice of email
or text (kiosk/flow/channel_choice.py), or nothing, as the policy says -> the code(s)
-> a new passcode typed twice (checked against the passcode rules before the
card is touched) -> the card written -> unlocked. `HANDLERS` maps each screen
state of this journey to its handler.
"""

from __future__ import annotations

from dataclasses import replace

from contract.answers import ANSWER_MAX, ANSWER_MIN, normalise_answer
from contract.language import N_, plural
from contract.problems import ProblemCode
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.code_entry import (
    CodeCalls,
    code_entry_handler,
    code_sent,
    owed_message,
    resumed_code_entry,
    self_service_refusal,
)
from kiosk.flow.common import (
    RESUMED,
    HandlerTable,
    Result,
    audit,
    card_of,
    current_time,
    handler_for,
    journey_of,
    status_of,
    stop,
    wipe_and_forget,
    with_journey,
)
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, Journey, PinState, Step
from kiosk.flow.service_trouble import service_trouble

ANSWER_EVERY_QUESTION = N_("Answer every question, then press Enter.")
ANSWER_LENGTH = N_(
    "Answer {number} cannot be right: answers are "
    "{least} to {most} characters long. Check it and try again. "
    "Nothing was sent, so this did not use up an attempt."
)


def start_unlock(state: s.KioskState) -> Result:
    """Prove the card to the service and open an unlock."""
    card = state.card
    if card is None:
        return state, []
    commands: list[c.Command] = [
        c.StartUnlock(serial=card.serial, uuid=card.uuid),
        audit(state, "unlock_requested", "sent"),
    ]
    return replace(state, screen=s.StartingUnlock(), journey=None), commands


def first_look(state: s.KioskState) -> Result:
    """Check a blocked card just read with the service, before its first screen.

    The card proof and POST /v1/unlocks: the one way the service says whether the
    holder registered and whether their self-service is locked. No attempt is
    spent (answers are not sent) and nothing else goes until the holder presses
    Enter. Where the service sends the code(s) at once (a policy without questions
    and with nothing to choose), they go now: that deployment asks nothing before.
    """
    card = state.card
    if card is None:
        return state, []
    commands: list[c.Command] = [
        c.StartUnlock(serial=card.serial, uuid=card.uuid),
        audit(state, "unlock_requested", "sent", by="card_read"),
    ]
    return replace(state, screen=s.StartingUnlock(first_look=True), journey=None), commands


def resume_unlock(checkpoint: Checkpoint, card: CardFacts, config: FlowConfig) -> s.Screen | None:
    """The screen a saved unlock resumes at, or None when there is nothing to resume."""
    # A card that works again (unblocked elsewhere, or just before a crash) has
    # nothing left to unlock.
    if checkpoint.journey is not Journey.UNLOCK or card.pin is not PinState.BLOCKED:
        return None
    if checkpoint.step is Step.QUESTIONS:
        if not checkpoint.questions:
            return None
        return s.Questions(
            questions=checkpoint.questions,
            attempts_left=checkpoint.attempts_left or 0,
            notice=RESUMED,
        )
    if checkpoint.step is Step.CODE:
        return resumed_code_entry(checkpoint, s.CodeEntry)
    return s.NewPasscode(rules=tuple(config.passcode_rules.describe()), notice=RESUMED)


def _starting_unlock(
    state: s.KioskState, event: e.Event, screen: s.StartingUnlock, card: CardFacts
) -> Result:
    if isinstance(event, e.UnlockStartedReply):
        if screen.first_look and event.next is not e.NextStep.CODE:
            # The card can be unlocked here: its status says so, and Enter goes on
            # with this unlock (nothing is saved until then). Where questions are off
            # the code is already mailed, so its screen comes at once instead.
            status = replace(status_of(state, card), started=event)
            return replace(state, screen=status), [audit(state, "card_checked", "can_unlock")]
        return unlock_started(state, card, event)
    if isinstance(event, e.NotRegisteredReply):
        return replace(state, screen=s.NotRegistered(card=card)), [
            audit(state, "unlock_started", ProblemCode.NOT_REGISTERED)
        ]
    if isinstance(event, e.SelfServiceLockedReply):
        return replace(state, screen=s.SelfServiceLocked(paused_for=event.paused_for)), [
            audit(state, "unlock_started", self_service_refusal(event))
        ]
    if isinstance(event, e.CardProofRefused):
        refused = s.CardNotRecognised(reason=e.UnreadableReason.SERVICE_REFUSED)
        return replace(state, screen=refused), [
            audit(state, "unlock_started", ProblemCode.CARD_PROOF_INVALID)
        ]
    if screen.first_look and _failed(event, e.Call.START_UNLOCK):
        # Not known now: the status offers the unlock as before, and Enter asks again
        # (with the usual outage screen and retries).
        return replace(state, screen=status_of(state, card)), [
            audit(state, "card_checked", "service_unavailable")
        ]
    return service_trouble(state, event, (e.Call.START_UNLOCK,)) or (state, [])


def _failed(event: e.Event, call: e.Call) -> bool:
    return isinstance(event, e.ServiceUnreachable | e.ServiceRefused) and event.failed is call


def unlock_started(state: s.KioskState, card: CardFacts, event: e.UnlockStartedReply) -> Result:
    now = current_time(state)
    journey = Checkpoint(
        journey=Journey.UNLOCK,
        step=Step.CODE if event.next is e.NextStep.CODE else Step.QUESTIONS,
        serial=card.serial,
        service_id=event.unlock_id,
        started_at=now,
        updated_at=now,
        expires_at=event.expires_at,
        attempts_left=event.attempts_left,
        questions=event.questions,
    )
    if event.next is e.NextStep.ANSWERS:
        screen: s.Screen = s.Questions(questions=event.questions, attempts_left=event.attempts_left)
    elif event.next is e.NextStep.CHANNEL:
        # Saved as the questions step with none: a restart here starts the unlock again.
        screen = s.ChooseChannel(channels=event.channels)
    else:
        code_expires = event.code_expires_at or now + state.config.code_lifetime
        journey = replace(
            journey,
            code_sent_to=event.code_sent_to,
            code_sent_at=now,
            code_expires_at=code_expires,
            text_sent_to=event.text_sent_to,
            not_sent=event.not_sent,
        )
        screen = s.CodeEntry(
            sent_to=event.code_sent_to or "",
            sent_at=now,
            expires_at=code_expires,
            text_sent_to=event.text_sent_to,
            not_sent=event.not_sent,
            notice=owed_message(event.not_sent),
            resend_available_at=now + state.config.resend_interval,
        )
    state, commands = with_journey(replace(state, screen=screen), journey)
    return state, [*commands, audit(state, "unlock_started", event.next.value)]


def _questions(
    state: s.KioskState, event: e.Event, screen: s.Questions, journey: Checkpoint
) -> Result:
    if isinstance(event, e.SubmitAnswers):
        asked = [q.id for q in screen.questions]
        answers = {qid: event.answers.get(qid, "") for qid in asked}
        if any(not answer.strip() for answer in answers.values()):
            return replace(state, screen=replace(screen, error=ANSWER_EVERY_QUESTION)), []
        # Registered answers are 3 to 64 characters once normalised, so one outside
        # that can only be wrong: sending it would spend an attempt (or, as a huge
        # paste, be refused as a malformed request and end the unlock).
        for number, answer in enumerate(answers.values(), start=1):
            if not ANSWER_MIN <= len(normalise_answer(answer)) <= ANSWER_MAX:
                error = N_(ANSWER_LENGTH, number=number, least=ANSWER_MIN, most=ANSWER_MAX)
                return replace(state, screen=replace(screen, error=error, notice=None)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        return replace(state, screen=sending), [
            c.SendAnswers(unlock_id=journey.service_id, answers=answers)
        ]
    if isinstance(event, e.AnswersAccepted):
        answered = replace(journey, attempts_left=None)
        return code_sent(state, answered, event, s.CodeEntry, "answers")
    if isinstance(event, e.AnswersWrong):
        wrong = replace(
            screen,
            attempts_left=event.attempts_left,
            error=_answers_wrong_message(event.attempts_left),
            notice=None,
            sending=False,
        )
        state, commands = with_journey(
            replace(state, screen=wrong), replace(journey, attempts_left=event.attempts_left)
        )
        audited = audit(state, "answers", "wrong", attempts_left=event.attempts_left)
        return state, [c.WipeInputs(), *commands, audited]
    if isinstance(event, e.SelfServiceLockedReply):
        commands = wipe_and_forget(state)
        commands.append(audit(state, "answers", self_service_refusal(event)))
        locked = s.SelfServiceLocked(paused_for=event.paused_for)
        return replace(state, screen=locked, journey=None), commands
    if isinstance(event, e.UnlockExpired):
        return stop(state, s.StopReason.EXPIRED, ProblemCode.UNLOCK_EXPIRED)
    return service_trouble(state, event, (e.Call.SEND_ANSWERS,)) or (state, [])


def _answers_wrong_message(attempts_left: int) -> str:
    if attempts_left == 1:
        return N_(
            "One or more answers did not match. This is your last attempt: one more "
            "wrong answer locks self-service, and only the RA team can then unlock your card."
        )
    return plural(
        "One or more answers did not match. You have {count} attempt left. "
        "Check each answer and try again.",
        "One or more answers did not match. You have {count} attempts left. "
        "Check each answer and try again.",
        attempts_left,
    )


def _code_accepted(state: s.KioskState, journey: Checkpoint, event: e.Event) -> Result:
    assert isinstance(event, e.CodeAcceptedReply)
    rules = tuple(state.config.passcode_rules.describe())
    progressed = replace(
        journey, step=Step.NEW_PASSCODE, expires_at=event.expires_at, tries_left=None
    )
    state, commands = with_journey(replace(state, screen=s.NewPasscode(rules=rules)), progressed)
    return state, [c.WipeInputs(), *commands, audit(state, "code", "accepted")]


UNLOCK_CODE = CodeCalls(
    send=c.SendCode,
    resend=c.ResendCode,
    calls=(e.Call.SEND_CODE, e.Call.RESEND_CODE),
    done=e.CodeAcceptedReply,
    on_done=_code_accepted,
    expired=e.UnlockExpired,
    expired_why=ProblemCode.UNLOCK_EXPIRED,
)
"""The unlock's code screen: the unlock's code calls; an accepted code asks for the new passcode."""


def _new_passcode(
    state: s.KioskState, event: e.Event, screen: s.NewPasscode, journey: Checkpoint
) -> Result:
    if not isinstance(event, e.SubmitNewPasscode):
        return state, []
    reasons = state.config.passcode_rules.check_pair(event.new, event.repeat)
    if reasons:
        refused = replace(screen, errors=tuple(reasons), notice=None)
        return replace(state, screen=refused), [c.WipeInputs()]
    # The typed passcode stays in the screen's fields until the card answers, so
    # a service outage while fetching the cryptogram costs the holder nothing.
    return replace(state, screen=s.WritingCard()), [
        c.WriteNewPasscode(
            unlock_id=journey.service_id, serial=journey.serial, new_passcode=event.new
        )
    ]


def _writing_card(
    state: s.KioskState, event: e.Event, _screen: s.WritingCard, journey: Checkpoint
) -> Result:
    card = state.card
    if card is None:
        return state, []
    if isinstance(event, e.ChallengeRead):
        return replace(state, screen=s.WritingCard(stage=s.WriteStage.ASKING_SERVICE)), []
    if isinstance(event, e.CryptogramReceived):
        return replace(state, screen=s.WritingCard(stage=s.WriteStage.WRITING)), []
    if isinstance(event, e.CardWritten):
        commands: list[c.Command] = [c.WipeInputs(), c.ClearCheckpoint()]
        if not event.result_reported:
            commands.append(
                c.QueueResultReport(
                    unlock_id=journey.service_id, outcome="unlocked", status_word="9000"
                )
            )
        commands.append(audit(state, "card_unlocked", "success"))
        unlocked = s.Unlocked(name=card.name, at=state.now)
        return replace(state, screen=unlocked, journey=None), commands
    if isinstance(event, e.CardWriteFailed) and event.final:
        # A PUK try is precious: the kiosk never offers another go on this card.
        audited = audit(
            state,
            "card_write",
            "unblock_refused",
            reason=event.reason,
            status_word=event.status_word,
        )
        refused = s.CardNotRecognised(reason=e.UnreadableReason.UNBLOCK_REFUSED)
        return replace(state, screen=refused, journey=None), [
            c.WipeInputs(),
            c.ClearCheckpoint(),
            audited,
        ]
    if isinstance(event, e.CardWriteFailed):
        error = N_(
            "Your card could not be updated ({reason}). Your passcode has not "
            "changed. Type a new passcode twice and press Enter to try again.",
            reason=event.reason,
        )
        rules = tuple(state.config.passcode_rules.describe())
        audited = audit(
            state, "card_write", "failed", reason=event.reason, status_word=event.status_word
        )
        failed = s.NewPasscode(rules=rules, errors=(error,))
        return replace(state, screen=failed), [c.WipeInputs(), audited]
    if isinstance(event, e.UnlockExpired):
        return stop(state, s.StopReason.EXPIRED, ProblemCode.UNLOCK_EXPIRED)
    return service_trouble(state, event, (e.Call.WRITE_NEW_PASSCODE,)) or (state, [])


def _unlock_stopped(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Continue):
        return start_unlock(state)
    return state, []


HANDLERS: HandlerTable = {
    s.StartingUnlock: handler_for(s.StartingUnlock, card_of, _starting_unlock),
    s.Questions: handler_for(s.Questions, journey_of, _questions),
    s.CodeEntry: code_entry_handler(UNLOCK_CODE),
    s.NewPasscode: handler_for(s.NewPasscode, journey_of, _new_passcode),
    s.WritingCard: handler_for(s.WritingCard, journey_of, _writing_card),
    s.UnlockStopped: _unlock_stopped,
}
"""Screen-state type -> handler, for the unlock journey."""
