"""The kiosk's journeys as a pure state machine: `step(state, event) -> (state, commands)`.

No I/O, no clock, no Textual: time arrives in Tick and UserActivity events, the
world's answers arrive as events, and what should happen in the world leaves as
commands (kiosk/flow/commands.py) for the app to carry out.

The order of handling in `step`:
1. the clock (Tick) and the holder's presence (UserActivity);
2. reader and card events, which can end a session at any step;
3. overlays (cancel confirmation), Help and Cancel, the same on every screen;
4. the handler of the screen being shown (`_SCREEN_HANDLERS`).
An event a screen does not expect (a late service reply after the card was
removed, a second Submit while sending) changes nothing.

Registration and changing a passcode (issue 5) are screens, events and handlers
in the same tables (`kiosk/flow/registration.py` holds their handlers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from kiosk.answer_rules import ANSWER_MAX, ANSWER_MIN, normalise_answer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, Journey, PinState, Step

Result = tuple[s.KioskState, list[c.Command]]

# Only for replies that arrive before the app's first Tick (it ticks at once, so
# in practice never); keeps the machine total rather than crashing.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

RESUMED = "Welcome back. You can carry on where you left off."
SERVICE_BACK_SEND_AGAIN = (
    "The unlock service is working again. What you typed is still here: press Enter to send it."
)
SERVICE_BACK_TRY_AGAIN = (
    "The unlock service is working again. Type your new passcode twice and press Enter."
)
ANSWER_EVERY_QUESTION = "Answer every question, then press Enter."
ANSWER_LENGTH = (
    "Answer {number} cannot be right: answers are "
    f"{ANSWER_MIN} to {ANSWER_MAX} characters long. Check it and try again. "
    "Nothing was sent, so this did not use up an attempt."
)


def step(state: s.KioskState, event: e.Event) -> Result:
    """Apply one event.

    Args:
        state: The current state.
        event: What happened.

    Returns:
        The new state and the commands for the app to carry out, in order.
    """
    if isinstance(event, e.Tick | e.UserActivity):
        state = replace(state, now=event.now)
    new_state, commands = _dispatch(state, event)
    return _bookkeeping(state, new_state, event), commands


def resume(
    checkpoint: Checkpoint,
    card: CardFacts,
    now: dt.datetime | None,
    config: FlowConfig | None = None,
) -> s.Screen | None:
    """The screen to resume a saved journey at, after a restart with a card in.

    Only the same card, still blocked, while the service's window is open.

    Args:
        checkpoint: What the store held.
        card: The card just read.
        now: The current time.
        config: The deployment's flow settings (for the passcode rules text).

    Returns:
        The screen to show, or None when the checkpoint must be wiped instead.
    """
    config = config or FlowConfig()
    if now is None or checkpoint.serial != card.serial or now >= checkpoint.expires_at:
        return None
    if checkpoint.journey is Journey.REGISTRATION:
        return _resume_registration(checkpoint, card)
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
        return s.CodeSent(
            sent_to=checkpoint.code_sent_to or "",
            sent_at=checkpoint.code_sent_at or checkpoint.updated_at,
            expires_at=checkpoint.code_expires_at or checkpoint.expires_at,
            tries_left=checkpoint.tries_left,
            notice=RESUMED,
        )
    return s.NewPasscode(rules=tuple(config.passcode_rules.describe()), notice=RESUMED)


def _resume_registration(checkpoint: Checkpoint, card: CardFacts) -> s.Screen | None:
    # A card locked since (three wrong passcodes elsewhere) cannot prove its holder
    # any more; the registration is abandoned and the holder starts from its status.
    if card.pin is PinState.BLOCKED:
        return None
    if checkpoint.step is Step.CODE:
        return s.RegistrationCodeSent(
            sent_to=checkpoint.code_sent_to or "",
            sent_at=checkpoint.code_sent_at or checkpoint.updated_at,
            expires_at=checkpoint.code_expires_at or checkpoint.expires_at,
            tries_left=checkpoint.tries_left,
            notice=RESUMED,
        )
    if checkpoint.step is Step.QUESTIONS:
        return s.ChooseQuestions(notice=RESUMED)
    return None


# ---------------------------------------------------------------- dispatch


_INTENTS = (
    e.Continue,
    e.RegisterRequested,
    e.ChangePasscodeRequested,
    e.SubmitPasscode,
    e.AcceptTerms,
    e.DeclineTerms,
    e.SubmitContactDetails,
    e.ToggleQuestion,
    e.SubmitChosenQuestions,
    e.SubmitRegistrationAnswers,
    e.SubmitPasscodeChange,
    e.SubmitAnswers,
    e.SubmitCode,
    e.SubmitNewPasscode,
    e.ResendCodeRequested,
    e.Back,
    e.Cancel,
    e.ConfirmCancel,
    e.Help,
)

# Screens of a journey with the service under way: cancelling asks first, and
# the service's window closing stops them.
_JOURNEY_SCREENS: tuple[type[s.Screen], ...] = (
    s.StartingUnlock,
    s.Questions,
    s.CodeSent,
    s.NewPasscode,
    s.WritingCard,
    s.ServiceUnavailable,
    s.PasscodeEntry,
    s.Terms,
    s.ContactDetails,
    s.ChooseQuestions,
    s.RegistrationAnswers,
    s.ChangePasscode,
)


def _dispatch(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Tick):
        return _on_tick(state, event.now)
    if isinstance(event, e.UserActivity):
        return _dismiss_warning(replace(state, last_activity=event.now)), []
    device = _on_device(state, event)
    if device is not None:
        return device
    if isinstance(event, _INTENTS) and isinstance(state.overlay, s.InactivityWarning):
        # A key press is activity: the warning goes, and the key does what it says.
        state = replace(state, overlay=None)
    if isinstance(state.overlay, s.CancelConfirmation):
        if isinstance(event, e.ConfirmCancel):
            return _end_session(state, s.EndReason.CANCELLED)
        if isinstance(event, e.Back | e.Cancel | e.Continue):
            return replace(state, overlay=None), []
        if isinstance(event, _INTENTS):
            return state, []
    if isinstance(event, e.Help):
        return _on_help(state, event.topic)
    if isinstance(event, e.Cancel | e.ConfirmCancel) or (
        isinstance(event, e.Back) and not isinstance(state.screen, s.HelpPage)
    ):
        return _on_cancel(state, confirmed=isinstance(event, e.ConfirmCancel))
    handler = _SCREEN_HANDLERS.get(type(state.screen))
    if handler is None:
        return state, []
    return handler(state, event)


def _bookkeeping(old: s.KioskState, new: s.KioskState, event: e.Event) -> s.KioskState:
    """Restart the inactivity clock when the holder acts or a new screen appears.

    A screen that just appeared (a service reply moved the journey on) gets the
    full timeout, so a slow service never eats the holder's time.
    """
    changed = type(old.screen) is not type(new.screen) or old.screen.busy != new.screen.busy
    if isinstance(event, _INTENTS) or changed:
        new = replace(new, last_activity=new.now)
        if changed and isinstance(new.overlay, s.InactivityWarning):
            new = replace(new, overlay=None)
    return new


def _now(state: s.KioskState) -> dt.datetime:
    return state.now or _EPOCH


def _audit(
    state: s.KioskState,
    type_: str,
    outcome: str,
    **detail: str | int | None,
) -> c.QueueAudit:
    card = state.card
    return c.QueueAudit(
        type=type_,
        outcome=outcome,
        at=state.now,
        serial=card.serial if card else None,
        uuid=card.uuid if card else None,
        detail=detail,
    )


def _times_out(state: s.KioskState) -> bool:
    screen = state.screen
    return state.card is not None and screen.interactive and not screen.busy


def _dismiss_warning(state: s.KioskState) -> s.KioskState:
    if isinstance(state.overlay, s.InactivityWarning):
        return replace(state, overlay=None)
    return state


# ---------------------------------------------------------------- the clock


def _on_tick(state: s.KioskState, now: dt.datetime) -> Result:
    screen = state.screen
    config = state.config
    if isinstance(screen, s.CardRemovedNotice):
        if screen.until is None or now >= screen.until:
            return replace(state, screen=s.WaitingForCard()), []
        return state, []
    if (
        state.journey is not None
        and now >= state.journey.expires_at
        and isinstance(screen, _JOURNEY_SCREENS + (s.HelpPage,))
        and not screen.busy
        and not isinstance(screen, s.WritingCard | s.StartingUnlock)
    ):
        return _stop(state, s.StopReason.EXPIRED, "window_closed")
    if state.card is None and state.journey is not None and now >= state.journey.expires_at:
        # A checkpoint left from before a restart, with no card to resume it.
        return replace(state, journey=None), [c.ClearCheckpoint()]
    commands: list[c.Command] = []
    if isinstance(screen, s.ServiceUnavailable) and screen.retry_at and now >= screen.retry_at:
        commands.append(screen.retry if screen.retry is not None else c.CheckService())
        state = replace(state, screen=replace(screen, retry_at=None))
    if isinstance(state.screen, s.HelpPage) and state.card is None:
        # Help opened from the waiting screen and left: quietly go back, so the
        # next holder finds the kiosk asking for a card.
        if now - (state.last_activity or now) >= config.inactivity_timeout:
            return replace(state, screen=state.screen.back_to), commands
    if not _times_out(state):
        return _dismiss_warning(state), commands
    warning = state.overlay
    if isinstance(warning, s.InactivityWarning):
        if now >= warning.ends_at:
            ended, more = _end_session(state, s.EndReason.TIMED_OUT)
            return ended, commands + more
        left = _seconds_until(now, warning.ends_at)
        return replace(state, overlay=replace(warning, seconds_left=left)), commands
    last = state.last_activity or now
    if now - last >= config.inactivity_timeout:
        ends_at = last + config.inactivity_timeout + config.inactivity_countdown
        if now >= ends_at:
            ended, more = _end_session(state, s.EndReason.TIMED_OUT)
            return ended, commands + more
        overlay = s.InactivityWarning(ends_at=ends_at, seconds_left=_seconds_until(now, ends_at))
        return replace(state, overlay=overlay), commands
    return state, commands


def _seconds_until(now: dt.datetime, then: dt.datetime) -> int:
    # Round up, so the countdown shows 1 rather than 0 in its last second.
    return max(0, -int((now - then).total_seconds() // 1))


# ---------------------------------------------------------------- reader and card


def _on_device(state: s.KioskState, event: e.Event) -> Result | None:
    had_session = state.card is not None
    wipe: list[c.Command] = [c.WipeInputs()] if had_session else []
    if isinstance(event, e.CardServiceDown | e.ReaderRemoved):
        # The card may still be in: the checkpoint stays, so reading the same
        # card once the reader is back resumes the journey.
        screen: s.Screen = (
            s.CardServiceDown() if isinstance(event, e.CardServiceDown) else (s.NoReader())
        )
        return replace(state, screen=screen, card=None, overlay=None, unwatched=True), wipe
    if isinstance(event, e.CardServiceUp):
        # The watcher reports the readers (ReaderAdded) right after this; until
        # one is reported there is no reader to put a card in.
        if isinstance(state.screen, s.CardServiceDown | s.WaitingForCard):
            return replace(state, screen=s.NoReader()), []
        return state, []
    if isinstance(event, e.ReaderAdded):
        if isinstance(state.screen, s.NoReader):
            return replace(state, screen=s.WaitingForCard()), []
        return state, []
    if isinstance(event, e.CardInserted):
        forget: list[c.Command] = []
        journey = state.journey
        if event.fresh and not state.unwatched and journey is not None:
            forget, journey = [c.ClearCheckpoint()], None
        return (
            replace(
                state,
                screen=s.ReadingCard(),
                card=None,
                overlay=None,
                journey=journey,
                unwatched=False,
            ),
            [*wipe, *forget, c.ReadCard()],
        )
    if isinstance(event, e.CardRemoved) or (
        isinstance(event, e.CardWriteFailed) and event.card_removed
    ):
        return _on_card_removed(state)
    if isinstance(event, e.CardRead) and isinstance(state.screen, s.ReadingCard):
        return _on_card_read(state, event.card)
    if isinstance(event, e.CardUnreadable) and isinstance(state.screen, s.ReadingCard):
        commands: list[c.Command] = [
            _audit(state, "card_read", "unreadable", reason=event.reason.value)
        ]
        if state.journey is not None:
            commands.insert(0, c.ClearCheckpoint())
        screen = s.CardNotRecognised(reason=event.reason)
        return replace(state, screen=screen, journey=None), commands
    return None


def _on_card_removed(state: s.KioskState) -> Result:
    screen = state.screen
    commands: list[c.Command] = []
    if state.card is not None:
        commands.append(c.WipeInputs())
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    finished = s.Unlocked | s.SessionEnded | s.Registered | s.PasscodeChanged
    if state.card is not None and not isinstance(screen, finished):
        commands.append(_audit(state, "session_ended", "card_removed", screen=_name(screen)))
        until = _now(state) + state.config.card_removed_notice
        new_screen: s.Screen = s.CardRemovedNotice(until=until)
    elif isinstance(screen, s.NoReader | s.CardServiceDown):
        new_screen = screen
    else:
        new_screen = s.WaitingForCard()
    return replace(state, screen=new_screen, card=None, journey=None, overlay=None), commands


def _on_card_read(state: s.KioskState, card: CardFacts) -> Result:
    commands: list[c.Command] = []
    state = replace(state, card=card)
    if state.journey is not None:
        resumed = resume(state.journey, card, state.now, state.config)
        if resumed is not None:
            step_name = state.journey.step.value
            resumed_commands: list[c.Command] = [_audit(state, "journey_resumed", step_name)]
            if isinstance(resumed, s.ChooseQuestions):
                resumed_commands.append(c.LoadQuestionCatalogue())
            return replace(state, screen=resumed), resumed_commands
        commands.append(c.ClearCheckpoint())
        state = replace(state, journey=None)
    status = card_status(card, state.now, state.config.expiring_warning_days)
    commands.append(_audit(state, "card_read", status.condition.value, tries_left=card.tries_left))
    return replace(state, screen=status), commands


def card_status(card: CardFacts, now: dt.datetime | None, warning_days: int) -> s.CardStatus:
    """What the card status screen shows for a card.

    Args:
        card: The card's facts.
        now: The current time (None: expiry cannot be judged, treated as valid).
        warning_days: Warn when the card expires within this many days.

    Returns:
        The card status screen state.
    """
    days = None if now is None else (card.expiry - now.date()).days
    if days is not None and days < 0:
        condition = s.CardCondition.EXPIRED
    elif card.pin is PinState.BLOCKED:
        condition = s.CardCondition.BLOCKED
    else:
        condition = s.CardCondition.WORKING
    expiring = days if days is not None and 0 <= days <= warning_days else None
    return s.CardStatus(card=card, condition=condition, expires_in_days=expiring)


# ---------------------------------------------------------------- every screen


def _on_help(state: s.KioskState, topic: e.HelpTopic) -> Result:
    screen = state.screen
    if screen.busy or not (screen.interactive or isinstance(screen, s.WaitingForCard)):
        return state, []
    back_to = screen.back_to if isinstance(screen, s.HelpPage) else screen
    return replace(state, screen=s.HelpPage(topic=topic, back_to=back_to)), []


def _on_cancel(state: s.KioskState, *, confirmed: bool) -> Result:
    screen = state.screen
    if state.card is None or isinstance(screen, s.WritingCard) or screen_is_changing(screen):
        # Nothing to cancel, or the card is being written: stopping now could
        # leave it half done, so Cancel waits for the write to finish.
        return state, []
    if isinstance(screen, s.HelpPage) or isinstance(screen, s.SessionEnded):
        return state, []
    if not confirmed and (state.journey is not None or isinstance(screen, _JOURNEY_SCREENS)):
        return replace(state, overlay=s.CancelConfirmation()), []
    return _end_session(state, s.EndReason.CANCELLED)


def _end_session(state: s.KioskState, reason: s.EndReason) -> Result:
    commands: list[c.Command] = [c.WipeInputs()]
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    commands.append(_audit(state, "session_ended", reason.value, screen=_name(state.screen)))
    screen = s.SessionEnded(reason=reason)
    return replace(state, screen=screen, journey=None, overlay=None), commands


def _stop(
    state: s.KioskState, reason: s.StopReason, why: str, *, registration: bool | None = None
) -> Result:
    """Stop the journey under way; `registration` None: judge from the journey."""
    if registration is None:
        registration = (
            state.journey is not None and state.journey.journey is Journey.REGISTRATION
        ) or isinstance(state.screen, s.RegistrationCodeSent)
    commands: list[c.Command] = [c.WipeInputs()]
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    if registration:
        commands.append(_audit(state, "registration_stopped", reason.value, why=why))
        screen: s.Screen = s.RegistrationStopped(reason=reason)
    else:
        commands.append(_audit(state, "unlock_stopped", reason.value, why=why))
        screen = s.UnlockStopped(reason=reason)
    return replace(state, screen=screen, journey=None), commands


def _name(screen: s.Screen) -> str:
    return type(screen).__name__


def _start_unlock(state: s.KioskState) -> Result:
    card = state.card
    if card is None:
        return state, []
    commands: list[c.Command] = [
        c.StartUnlock(serial=card.serial, uuid=card.uuid),
        _audit(state, "unlock_requested", "sent"),
    ]
    return replace(state, screen=s.StartingUnlock(), journey=None), commands


def _unreachable(
    state: s.KioskState,
    event: e.ServiceUnreachable,
    doing: str,
    resume_to: s.Screen,
    retry: c.Command | None = None,
) -> Result:
    delay = _retry_delay(state.config, 1, event.retry_after)
    screen = s.ServiceUnavailable(
        doing=doing,
        resume_to=resume_to,
        retry=retry,
        attempts=1,
        retry_at=_now(state) + delay,
        mail=event.mail,
    )
    return replace(state, screen=screen), [_audit(state, "service_unreachable", event.failed.value)]


def _retry_delay(config: FlowConfig, attempts: int, retry_after: int | None) -> dt.timedelta:
    # Exponential backoff, capped; the service's own retry_after wins when longer.
    doubled: dt.timedelta = config.service_retry_first * (2 ** min(attempts - 1, 16))
    delay = min(doubled, config.service_retry_max)
    if retry_after is not None:
        delay = max(delay, dt.timedelta(seconds=retry_after))
    return delay


def _with_journey(state: s.KioskState, journey: Checkpoint) -> Result:
    """Adopt new journey progress and save it."""
    journey = replace(journey, updated_at=_now(state))
    return replace(state, journey=journey), [c.SaveCheckpoint(journey)]


# ---------------------------------------------------------------- screen handlers


def _card_status(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.CardStatus)
    if isinstance(event, e.Continue) and screen.can_unlock:
        return _start_unlock(state)
    if isinstance(event, e.RegisterRequested) and screen.can_register:
        return registration.start_registration(state)
    if isinstance(event, e.ChangePasscodeRequested) and screen.can_register:
        return registration.start_change_passcode(state)
    return state, []


def _starting_unlock(state: s.KioskState, event: e.Event) -> Result:
    card = state.card
    if card is None:
        return state, []
    now = _now(state)
    if isinstance(event, e.UnlockStarted):
        journey = Checkpoint(
            journey=Journey.UNLOCK,
            step=Step.QUESTIONS if event.next is e.NextStep.ANSWERS else Step.CODE,
            serial=card.serial,
            service_id=event.unlock_id,
            started_at=now,
            updated_at=now,
            expires_at=event.expires_at,
            attempts_left=event.attempts_left,
            questions=event.questions,
        )
        if event.next is e.NextStep.ANSWERS:
            screen: s.Screen = s.Questions(
                questions=event.questions, attempts_left=event.attempts_left
            )
        else:
            code_expires = event.code_expires_at or now + state.config.code_lifetime
            journey = replace(
                journey,
                code_sent_to=event.code_sent_to,
                code_sent_at=now,
                code_expires_at=code_expires,
            )
            screen = s.CodeSent(
                sent_to=event.code_sent_to or "",
                sent_at=now,
                expires_at=code_expires,
                resend_available_at=now + state.config.resend_interval,
            )
        state, commands = _with_journey(replace(state, screen=screen), journey)
        return state, [*commands, _audit(state, "unlock_started", event.next.value)]
    if isinstance(event, e.NotRegistered):
        return replace(state, screen=s.NotRegistered(card=card)), [
            _audit(state, "unlock_started", "not_registered")
        ]
    if isinstance(event, e.SelfServiceLocked):
        return replace(state, screen=s.SelfServiceLocked()), [
            _audit(state, "unlock_started", "self_service_locked")
        ]
    if isinstance(event, e.CardProofRefused):
        screen = s.CardNotRecognised(reason=e.UnreadableReason.SERVICE_REFUSED)
        return replace(state, screen=screen), [
            _audit(state, "unlock_started", "card_proof_invalid")
        ]
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.START_UNLOCK:
        retry = c.StartUnlock(serial=card.serial, uuid=card.uuid)
        return _unreachable(state, event, "checking your card", s.StartingUnlock(), retry)
    if isinstance(event, e.ServiceRefused) and event.failed is e.Call.START_UNLOCK:
        return _stop(state, s.StopReason.PROBLEM, event.code)
    return state, []


def _questions(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.Questions)
    if journey is None:
        return state, []
    if isinstance(event, e.SubmitAnswers):
        if screen.sending:
            return state, []
        asked = [q.id for q in screen.questions]
        answers = {qid: event.answers.get(qid, "") for qid in asked}
        if any(not answer.strip() for answer in answers.values()):
            return replace(state, screen=replace(screen, error=ANSWER_EVERY_QUESTION)), []
        # Registered answers are 3 to 64 characters once normalised, so one outside
        # that can only be wrong: sending it would spend an attempt (or, as a huge
        # paste, be refused as a malformed request and end the unlock).
        for number, answer in enumerate(answers.values(), start=1):
            if not ANSWER_MIN <= len(normalise_answer(answer)) <= ANSWER_MAX:
                error = ANSWER_LENGTH.format(number=number)
                return replace(state, screen=replace(screen, error=error, notice=None)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        return replace(state, screen=sending), [
            c.SendAnswers(unlock_id=journey.service_id, answers=answers)
        ]
    if isinstance(event, e.AnswersAccepted):
        answered = replace(journey, attempts_left=None)
        return answers_accepted(state, answered, event, s.CodeSent, "answers")
    if isinstance(event, e.AnswersWrong):
        wrong = replace(
            screen,
            attempts_left=event.attempts_left,
            error=_answers_wrong_message(event.attempts_left),
            notice=None,
            sending=False,
        )
        state, commands = _with_journey(
            replace(state, screen=wrong), replace(journey, attempts_left=event.attempts_left)
        )
        audit = _audit(state, "answers", "wrong", attempts_left=event.attempts_left)
        return state, [c.WipeInputs(), *commands, audit]
    if isinstance(event, e.SelfServiceLocked):
        return _locked(state)
    if isinstance(event, e.UnlockExpired):
        return _stop(state, s.StopReason.EXPIRED, "unlock_expired")
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.SEND_ANSWERS:
        back = replace(screen, sending=False, notice=SERVICE_BACK_SEND_AGAIN, error=None)
        return _unreachable(state, event, "checking your answers", back)
    if isinstance(event, e.ServiceRefused) and event.failed is e.Call.SEND_ANSWERS:
        return _stop(state, s.StopReason.PROBLEM, event.code)
    return state, []


def _answers_wrong_message(attempts_left: int) -> str:
    if attempts_left == 1:
        return (
            "One or more answers did not match. This is your last attempt: one more "
            "wrong answer locks self-service, and only the RA team can then unlock your card."
        )
    return (
        f"One or more answers did not match. You have {attempts_left} attempts left. "
        "Check each answer and try again."
    )


def _locked(state: s.KioskState) -> Result:
    commands: list[c.Command] = [c.WipeInputs()]
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    commands.append(_audit(state, "answers", "self_service_locked"))
    return replace(state, screen=s.SelfServiceLocked(), journey=None), commands


def answers_accepted(
    state: s.KioskState,
    journey: Checkpoint,
    event: e.AnswersAccepted,
    screen: type[s.CodeSent],
    audit_kind: str,
) -> Result:
    """Answers accepted and the code mailed (unlock or registration): on to its code screen."""
    now = _now(state)
    code = screen(
        sent_to=event.code_sent_to,
        sent_at=now,
        expires_at=event.code_expires_at,
        resend_available_at=now + state.config.resend_interval,
    )
    progressed = replace(
        journey,
        step=Step.CODE,
        code_sent_to=event.code_sent_to,
        code_sent_at=now,
        code_expires_at=event.code_expires_at,
    )
    state, commands = _with_journey(replace(state, screen=code), progressed)
    return state, [c.WipeInputs(), *commands, _audit(state, audit_kind, "accepted")]


def _code_sent(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.CodeSent)
    if journey is None:
        return state, []
    now = _now(state)
    config = state.config
    if isinstance(event, e.SubmitCode):
        if screen.sending:
            return state, []
        # Holders copy codes with spaces ("1234 5678"); the service wants digits.
        code = "".join(event.code.split())
        if len(code) != config.code_digits or not all("0" <= ch <= "9" for ch in code):
            error = f"The code is {config.code_digits} digits. Check the email and type it again."
            return replace(state, screen=replace(screen, error=error, notice=None)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        return replace(state, screen=sending), [c.SendCode(unlock_id=journey.service_id, code=code)]
    if isinstance(event, e.ResendCodeRequested):
        if screen.sending:
            return state, []
        if screen.resends_exhausted:
            return replace(state, screen=replace(screen, error=NO_MORE_RESENDS)), []
        if screen.resend_available_at is not None and now < screen.resend_available_at:
            wait = _seconds_until(now, screen.resend_available_at)
            error = f"You can ask for a new code in {wait} seconds."
            return replace(state, screen=replace(screen, error=error, notice=None)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        return replace(state, screen=sending), [c.ResendCode(unlock_id=journey.service_id)]
    if isinstance(event, e.CodeAccepted):
        rules = tuple(config.passcode_rules.describe())
        progressed = replace(
            journey, step=Step.NEW_PASSCODE, expires_at=event.expires_at, tries_left=None
        )
        state, commands = _with_journey(
            replace(state, screen=s.NewPasscode(rules=rules)), progressed
        )
        return state, [c.WipeInputs(), *commands, _audit(state, "code", "accepted")]
    if isinstance(event, e.CodeWrong):
        plural = "try" if event.tries_left == 1 else "tries"
        error = f"That code is not right. {event.tries_left} {plural} left."
        wrong = replace(
            screen, tries_left=event.tries_left, error=error, notice=None, sending=False
        )
        state, commands = _with_journey(
            replace(state, screen=wrong), replace(journey, tries_left=event.tries_left)
        )
        audit = _audit(state, "code", "wrong", tries_left=event.tries_left)
        return state, [c.WipeInputs(), *commands, audit]
    if isinstance(event, e.CodeExpired):
        error = "This code has expired. Ask for a new code."
        expired = replace(screen, error=error, notice=None, sending=False)
        return replace(state, screen=expired), [c.WipeInputs(), _audit(state, "code", "expired")]
    if isinstance(event, e.CodeVoid):
        return _stop(state, s.StopReason.CODE_VOID, "code_void")
    if isinstance(event, e.ResendDone):
        notice = f"We sent a new code to {event.code_sent_to}. The old code no longer works."
        resent = replace(
            screen,
            sent_to=event.code_sent_to,
            sent_at=now,
            expires_at=event.code_expires_at,
            resend_available_at=now + config.resend_interval,
            error=None,
            notice=notice,
            sending=False,
        )
        progressed = replace(
            journey,
            code_sent_to=event.code_sent_to,
            code_sent_at=now,
            code_expires_at=event.code_expires_at,
        )
        state, commands = _with_journey(replace(state, screen=resent), progressed)
        return state, [c.WipeInputs(), *commands, _audit(state, "code", "resent")]
    if isinstance(event, e.ResendRefused):
        if event.retry_after is None:
            refused = replace(screen, resends_exhausted=True, error=NO_MORE_RESENDS, sending=False)
        else:
            refused = replace(
                screen,
                resend_available_at=now + dt.timedelta(seconds=event.retry_after),
                error=f"You can ask for a new code in {event.retry_after} seconds.",
                sending=False,
            )
        return replace(state, screen=refused), [
            _audit(state, "code", "resend_refused", retry_after=event.retry_after)
        ]
    if isinstance(event, e.UnlockExpired):
        return _stop(state, s.StopReason.EXPIRED, "unlock_expired")
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.SEND_CODE:
        back = replace(screen, sending=False, error=None, notice=SERVICE_BACK_SEND_AGAIN)
        return _unreachable(state, event, "checking your code", back)
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.RESEND_CODE:
        back = replace(screen, sending=False, error=None, notice=None)
        retry = c.ResendCode(unlock_id=journey.service_id)
        return _unreachable(state, event, "sending you a new code", back, retry)
    if isinstance(event, e.ServiceRefused) and event.failed in (
        e.Call.SEND_CODE,
        e.Call.RESEND_CODE,
    ):
        return _stop(state, s.StopReason.PROBLEM, event.code)
    return state, []


NO_MORE_RESENDS = (
    "No more new codes can be sent for this unlock. Use the last code we sent, "
    "or press Escape to stop and start again later."
)


def _new_passcode(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.NewPasscode)
    if journey is None or not isinstance(event, e.SubmitNewPasscode):
        return state, []
    reasons = state.config.passcode_rules.check_pair(event.new, event.repeat)
    if reasons:
        refused = replace(screen, errors=tuple(reasons), notice=None)
        return replace(state, screen=refused), [c.WipeInputs()]
    # The typed passcode stays in the screen's fields until the card answers, so
    # a service outage while fetching the cryptogram costs the holder nothing.
    return replace(state, screen=s.WritingCard()), [
        c.WriteNewPasscode(unlock_id=journey.service_id, new_passcode=event.new)
    ]


def _writing_card(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    journey = state.journey
    assert isinstance(screen, s.WritingCard)
    if journey is None or state.card is None:
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
        commands.append(_audit(state, "card_unlocked", "success"))
        unlocked = s.Unlocked(name=state.card.name, at=state.now)
        return replace(state, screen=unlocked, journey=None), commands
    if isinstance(event, e.CardWriteFailed):
        error = (
            f"Your card could not be updated ({event.reason}). Your passcode has not "
            "changed. Type a new passcode twice and press Enter to try again."
        )
        rules = tuple(state.config.passcode_rules.describe())
        audit = _audit(
            state, "card_write", "failed", reason=event.reason, status_word=event.status_word
        )
        failed = s.NewPasscode(rules=rules, errors=(error,))
        return replace(state, screen=failed), [c.WipeInputs(), audit]
    if isinstance(event, e.ServiceUnreachable) and event.failed is e.Call.WRITE_NEW_PASSCODE:
        rules = tuple(state.config.passcode_rules.describe())
        back = s.NewPasscode(rules=rules, notice=SERVICE_BACK_TRY_AGAIN)
        return _unreachable(state, event, "getting the key to unlock your card", back)
    if isinstance(event, e.ServiceRefused) and event.failed is e.Call.WRITE_NEW_PASSCODE:
        return _stop(state, s.StopReason.PROBLEM, event.code)
    if isinstance(event, e.UnlockExpired):
        return _stop(state, s.StopReason.EXPIRED, "unlock_expired")
    return state, []


def _service_unavailable(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.ServiceUnavailable)
    if isinstance(event, e.ServiceUnreachable):
        attempts = screen.attempts + 1
        delay = _retry_delay(state.config, attempts, event.retry_after)
        waiting = replace(screen, attempts=attempts, retry_at=_now(state) + delay)
        return replace(state, screen=waiting), []
    if isinstance(event, e.ServiceReachable):
        if screen.retry is not None:
            # The retried call itself will answer; keep waiting for it.
            return state, []
        return replace(state, screen=screen.resume_to), [_audit(state, "service", "reachable")]
    # Anything else is the answer to the retried call, or an intent meant for the
    # screen underneath: let that screen's handler have it.
    handler = _SCREEN_HANDLERS.get(type(screen.resume_to))
    if handler is None or isinstance(event, _INTENTS):
        return state, []
    underneath = replace(state, screen=screen.resume_to)
    handled, commands = handler(underneath, event)
    if handled == underneath and not commands:
        return state, []
    return handled, commands


def _unlock_stopped(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Continue):
        return _start_unlock(state)
    return state, []


def _registration_stopped(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Continue) and state.card is not None:
        status = card_status(state.card, state.now, state.config.expiring_warning_days)
        return replace(state, screen=status), []
    return state, []


def _help_page(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.HelpPage)
    if isinstance(event, e.Back | e.Continue):
        return replace(state, screen=screen.back_to), []
    return state, []


def _session_ended(state: s.KioskState, event: e.Event) -> Result:
    if isinstance(event, e.Continue) and state.card is not None:
        # Same card, new session: read it again, as if just inserted.
        return replace(state, screen=s.ReadingCard(), card=None), [c.ReadCard()]
    return state, []


_SCREEN_HANDLERS: dict[type[s.Screen], Callable[[s.KioskState, e.Event], Result]] = {
    s.CardStatus: _card_status,
    s.StartingUnlock: _starting_unlock,
    s.Questions: _questions,
    s.CodeSent: _code_sent,
    s.NewPasscode: _new_passcode,
    s.WritingCard: _writing_card,
    s.ServiceUnavailable: _service_unavailable,
    s.UnlockStopped: _unlock_stopped,
    s.HelpPage: _help_page,
    s.SessionEnded: _session_ended,
    s.RegistrationStopped: _registration_stopped,
}


def screen_is_changing(screen: s.Screen) -> bool:
    """The card is being given a new passcode right now (no cancelling mid-write)."""
    return isinstance(screen, s.ChangePasscode) and screen.changing


# The registration and change-passcode handlers live in their own module; it uses
# the helpers above, so it is imported (and its handlers registered) last.
from kiosk.flow import registration  # noqa: E402

_SCREEN_HANDLERS.update(registration.HANDLERS)
