"""What every journey's handlers share: the flow's clock, audit events, progress, endings.

Handlers are `(state, event) -> (state, commands)`; each journey module exports a
table of them by screen-state type, and `kiosk.flow.machine` dispatches over the
merged tables. Nothing here knows one journey from another beyond what a
checkpoint says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TypeVar

from contract.language import N_
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, Journey, PinState, Step

Result = tuple[s.KioskState, list[c.Command]]
"""What a handler returns: the new state and the commands for the app, in order."""
Handler = Callable[[s.KioskState, e.Event], Result]
HandlerTable = Mapping[type[s.Screen], Handler]
"""Screen-state type -> the handler of events on that screen."""

ScreenT = TypeVar("ScreenT", bound=s.Screen)
NeedT = TypeVar("NeedT")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""Only for replies that arrive before the app's first Tick (it ticks at once, so in
practice never); keeps the machine total rather than crashing."""

RESUMED = N_("Welcome back. You can carry on where you left off.")

INTENTS: tuple[type[e.Event], ...] = (
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
"""The holder's own events (as opposed to the world's and the clock's)."""

JOURNEY_SCREENS: tuple[type[s.Screen], ...] = (
    s.StartingUnlock,
    s.Questions,
    s.CodeEntry,
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
"""Screens of a journey under way: cancelling asks first, and the service's window
closing stops them."""


def current_time(state: s.KioskState) -> dt.datetime:
    """The latest time the flow was told (see EPOCH for before the first Tick)."""
    return state.now or EPOCH


def seconds_until(now: dt.datetime, then: dt.datetime) -> int:
    """Whole seconds from `now` to `then`, rounded up so a countdown never shows 0 early."""
    return max(0, -int((now - then).total_seconds() // 1))


def audit(
    state: s.KioskState, type_: str, outcome: str, **detail: str | int | None
) -> c.QueueAudit:
    """An audit event about the card in the reader (never with a secret in `detail`)."""
    card = state.card
    return c.QueueAudit(
        type=type_,
        outcome=outcome,
        at=state.now,
        serial=card.serial if card else None,
        uuid=card.uuid if card else None,
        detail=detail,
    )


def screen_name(screen: s.Screen) -> str:
    """The screen's name as audit events record it."""
    return type(screen).__name__


def retry_delay(config: FlowConfig, attempts: int, retry_after: int | None) -> dt.timedelta:
    """How long to wait before trying the service again after `attempts` failures.

    Exponential backoff, capped; the service's own `retry_after` wins when longer.
    """
    doubled: dt.timedelta = config.service_retry_first * (2 ** min(attempts - 1, 16))
    delay = min(doubled, config.service_retry_max)
    if retry_after is not None:
        delay = max(delay, dt.timedelta(seconds=retry_after))
    return delay


def with_journey(state: s.KioskState, journey: Checkpoint) -> Result:
    """Adopt new journey progress and save it."""
    journey = replace(journey, updated_at=current_time(state))
    return replace(state, journey=journey), [c.SaveCheckpoint(journey)]


def wipe_and_forget(state: s.KioskState) -> list[c.Command]:
    """Clear every input, and the saved progress when there is any."""
    commands: list[c.Command] = [c.WipeInputs()]
    if state.journey is not None:
        commands.append(c.ClearCheckpoint())
    return commands


FORM_SCREENS: tuple[type[s.Screen], ...] = (
    s.Questions,
    s.CodeEntry,
    s.NewPasscode,
    s.PasscodeEntry,
    s.ContactDetails,
    s.RegistrationAnswers,
    s.ChangePasscode,
)
"""Screens with fields the holder types into."""


def _had_typing(state: s.KioskState) -> bool:
    """Whether the session may have typing to clear.

    The flow never sees keystrokes, so this is judged from where the holder was:
    on a screen with fields (under help or an outage notice too), or in a journey
    that already took something typed (a checkpoint is only saved after a reply).
    """
    screen = state.screen
    if isinstance(screen, s.HelpPage):
        screen = screen.back_to
    if isinstance(screen, s.ServiceUnavailable):
        screen = screen.resume_to
    journey = state.journey
    if journey is None:
        return isinstance(screen, FORM_SCREENS)
    # An unlock at its questions has had nothing typed before them; a registration
    # has (its passcode and contact details came first).
    typed_before = journey.journey is Journey.REGISTRATION or journey.step is not Step.QUESTIONS
    return typed_before or isinstance(screen, FORM_SCREENS)


def end_session(state: s.KioskState, reason: s.EndReason) -> Result:
    """End the session with the card still in (timed out, or cancelled)."""
    commands = wipe_and_forget(state)
    commands.append(audit(state, "session_ended", reason.value, screen=screen_name(state.screen)))
    screen = s.SessionEnded(reason=reason, typed=_had_typing(state))
    return replace(state, screen=screen, journey=None, overlay=None), commands


def stop(
    state: s.KioskState, reason: s.StopReason, why: str, *, registration: bool | None = None
) -> Result:
    """Stop the journey under way; `registration` None: judge from the journey."""
    if registration is None:
        registration = (
            state.journey is not None and state.journey.journey is Journey.REGISTRATION
        ) or isinstance(state.screen, s.RegistrationCodeEntry)
    commands = wipe_and_forget(state)
    if registration:
        commands.append(audit(state, "registration_stopped", reason.value, why=why))
        screen: s.Screen = s.RegistrationStopped(reason=reason)
    else:
        commands.append(audit(state, "unlock_stopped", reason.value, why=why))
        # Questions come again only where this unlock asked them.
        asked = state.journey is None or bool(state.journey.questions)
        screen = s.UnlockStopped(reason=reason, questions_next=asked)
    return replace(state, screen=screen, journey=None), commands


def read_card_again(state: s.KioskState, event: e.Event) -> Result:
    """Handler of a screen that ended a session with the card still in (the holder's or
    the RA's): Continue starts a new session with it, read again as if just inserted."""
    if isinstance(event, e.Continue) and state.card is not None:
        return replace(state, screen=s.ReadingCard(), card=None), [c.ReadCard()]
    return state, []


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


def status_of(state: s.KioskState, card: CardFacts) -> s.CardStatus:
    """The card status screen for `card`, judged at the state's time and settings."""
    return card_status(card, state.now, state.config.expiring_warning_days)


def journey_of(state: s.KioskState) -> Checkpoint | None:
    """The journey under way with the service, if any."""
    return state.journey


def card_of(state: s.KioskState) -> CardFacts | None:
    """The card in the reader, once read."""
    return state.card


def handler_for(
    kind: type[ScreenT],
    needs: Callable[[s.KioskState], NeedT | None],
    handle: Callable[[s.KioskState, e.Event, ScreenT, NeedT], Result],
) -> Handler:
    """The handler of `kind` screens: `handle(state, event, screen, what it needs)`.

    Without what the screen needs (the journey, or the card: `journey_of`,
    `card_of`), an event there is a late reply or a stray intent: nothing changes.
    """

    def handler(state: s.KioskState, event: e.Event) -> Result:
        screen = state.screen
        assert isinstance(screen, kind)
        need = needs(state)
        if need is None:
            return state, []
        return handle(state, event, screen, need)

    return handler
