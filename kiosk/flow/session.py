"""A holder's session around the journeys: the card, the reader, the clock, help and cancel.

These apply on every screen: a card removed ends the session at any step, the
clock warns and then ends a quiet session, Help and Cancel work the same
everywhere. The card status screen leads into the journeys; `HANDLERS` maps the
session's own screen states (card status, help page, session ended) to handlers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from kiosk.flow import change_passcode, registration, unlock
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.common import (
    JOURNEY_SCREENS,
    HandlerTable,
    Result,
    audit,
    current_time,
    end_session,
    read_card_again,
    screen_name,
    seconds_until,
    status_of,
    stop,
)
from kiosk.flow.facts import (
    PIV_SERIAL_LENGTH,
    CardFacts,
    Checkpoint,
    FlowConfig,
    Journey,
    PinState,
    Step,
)
from kiosk.flow.service_trouble import retry_due


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
        return registration.resume_registration(checkpoint, card)
    return unlock.resume_unlock(checkpoint, card, config)


def dismiss_warning(state: s.KioskState) -> s.KioskState:
    """The state without the inactivity warning (if it was showing)."""
    if isinstance(state.overlay, s.InactivityWarning):
        return replace(state, overlay=None)
    return state


# ---------------------------------------------------------------- the clock


def on_tick(state: s.KioskState, now: dt.datetime) -> Result:
    """The clock: notices that time out, windows that close, retries, inactivity."""
    screen = state.screen
    config = state.config
    if isinstance(screen, s.CardRemovedNotice):
        if screen.until is None or now >= screen.until:
            return replace(state, screen=s.WaitingForCard()), []
        return state, []
    if (
        state.journey is not None
        and now >= state.journey.expires_at
        and isinstance(screen, JOURNEY_SCREENS + (s.HelpPage,))
        and not screen.busy
        and not isinstance(screen, s.WritingCard | s.StartingUnlock)
    ):
        return stop(state, s.StopReason.EXPIRED, "window_closed")
    if state.card is None and state.journey is not None and now >= state.journey.expires_at:
        # A checkpoint left from before a restart, with no card to resume it.
        return replace(state, journey=None), [c.ClearCheckpoint()]
    state, commands = retry_due(state, now)
    if isinstance(state.screen, s.HelpPage) and state.card is None:
        # Help opened from the waiting screen and left: quietly go back, so the
        # next holder finds the kiosk asking for a card.
        if now - (state.last_activity or now) >= config.inactivity_timeout:
            return replace(state, screen=state.screen.back_to), commands
    if not _times_out(state):
        return dismiss_warning(state), commands
    warning = state.overlay
    if isinstance(warning, s.InactivityWarning):
        if now >= warning.ends_at:
            ended, more = end_session(state, s.EndReason.TIMED_OUT)
            return ended, commands + more
        left = seconds_until(now, warning.ends_at)
        return replace(state, overlay=replace(warning, seconds_left=left)), commands
    last = state.last_activity or now
    if now - last >= config.inactivity_timeout:
        ends_at = last + config.inactivity_timeout + config.inactivity_countdown
        if now >= ends_at:
            ended, more = end_session(state, s.EndReason.TIMED_OUT)
            return ended, commands + more
        overlay = s.InactivityWarning(ends_at=ends_at, seconds_left=seconds_until(now, ends_at))
        return replace(state, overlay=overlay), commands
    return state, commands


def _times_out(state: s.KioskState) -> bool:
    screen = state.screen
    return state.card is not None and screen.interactive and not screen.busy


# ---------------------------------------------------------------- reader and card


def on_device(state: s.KioskState, event: e.Event) -> Result | None:
    """Reader and card events, which can end a session at any step; None for other events."""
    had_session = state.card is not None
    wipe: list[c.Command] = [c.WipeInputs()] if had_session else []
    if isinstance(event, e.CardServiceLost | e.ReaderRemoved):
        # The card may still be in: the checkpoint stays, so reading the same
        # card once the reader is back resumes the journey.
        screen: s.Screen = (
            s.NoCardService() if isinstance(event, e.CardServiceLost) else s.NoReader()
        )
        return replace(state, screen=screen, card=None, overlay=None, unwatched=True), wipe
    if isinstance(event, e.CardServiceUp):
        # The watcher reports the readers (ReaderAdded) right after this; until
        # one is reported there is no reader to put a card in.
        if isinstance(state.screen, s.NoCardService | s.WaitingForCard):
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
        reading = replace(
            state, screen=s.ReadingCard(), card=None, overlay=None, journey=journey, unwatched=False
        )
        return reading, [*wipe, *forget, c.ReadCard()]
    if isinstance(event, e.CardRemoved) or (
        isinstance(event, e.CardWriteFailed) and event.card_removed
    ):
        return _on_card_removed(state)
    if isinstance(event, e.CardRead) and isinstance(state.screen, s.ReadingCard):
        return _on_card_read(state, event.card)
    if isinstance(event, e.CardUnreadable) and isinstance(state.screen, s.ReadingCard):
        commands: list[c.Command] = [
            audit(state, "card_read", "unreadable", reason=event.reason.value)
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
        commands.append(audit(state, "session_ended", "card_removed", screen=screen_name(screen)))
        until = current_time(state) + state.config.card_removed_notice
        new_screen: s.Screen = s.CardRemovedNotice(until=until)
    elif isinstance(screen, s.NoReader | s.NoCardService):
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
            resumed_commands: list[c.Command] = [audit(state, "journey_resumed", step_name)]
            if isinstance(resumed, s.ChooseQuestions):
                resumed_commands.append(c.LoadQuestionCatalogue())
            return replace(state, screen=resumed), resumed_commands
        commands.extend(_settle_after_restart(state, state.journey, card))
        commands.append(c.ClearCheckpoint())
        state = replace(state, journey=None)
    status = status_of(state, card)
    commands.append(audit(state, "card_read", status.condition.value, tries_left=card.tries_left))
    if status.can_unlock:
        # Only the service knows whether this holder registered and whether their
        # self-service is locked; it says so when the unlock starts, after the card
        # proof. Ask now, so the first screen says what is true.
        state, more = unlock.first_look(state)
        return state, commands + more
    return replace(state, screen=status), commands


def _settle_after_restart(
    state: s.KioskState, journey: Checkpoint, card: CardFacts
) -> list[c.Command]:
    """The same PIV card, working now, its unlock saved at the write: the kiosk was
    stopped after the unblock reached the card, perhaps before the PUK rotation was
    reported. Settle it now, so the PUK that reached this kiosk stops working."""
    if (
        journey.journey is not Journey.UNLOCK
        or journey.step is not Step.NEW_PASSCODE
        or journey.serial != card.serial
        or len(card.serial) != PIV_SERIAL_LENGTH
        or card.pin is PinState.BLOCKED
        or state.now is None
        or state.now >= journey.expires_at
    ):
        return []
    return [
        c.SettlePuk(unlock_id=journey.service_id, serial=card.serial),
        audit(state, "puk_settle", "requested", by="restart"),
    ]


# ---------------------------------------------------------------- every screen


def on_help(state: s.KioskState, topic: e.HelpTopic) -> Result:
    """Open a help page over the screen shown (not while busy or on a notice)."""
    screen = state.screen
    if screen.busy or not (screen.interactive or isinstance(screen, s.WaitingForCard)):
        return state, []
    back_to = screen.back_to if isinstance(screen, s.HelpPage) else screen
    return replace(state, screen=s.HelpPage(topic=topic, back_to=back_to)), []


def on_cancel(state: s.KioskState, *, confirmed: bool) -> Result:
    """Cancel: asks first while a journey is under way; never while the card is written."""
    screen = state.screen
    changing = isinstance(screen, s.ChangePasscode) and screen.changing
    if state.card is None or isinstance(screen, s.WritingCard) or changing:
        # Nothing to cancel, or the card is being written: stopping now could
        # leave it half done, so Cancel waits for the write to finish.
        return state, []
    if isinstance(screen, s.HelpPage) or isinstance(screen, s.SessionEnded):
        return state, []
    # The first look at a card is not yet a journey the holder started: nothing to confirm.
    first_look = isinstance(screen, s.StartingUnlock) and screen.first_look
    under_way = state.journey is not None or isinstance(screen, JOURNEY_SCREENS)
    if not confirmed and under_way and not first_look:
        return replace(state, overlay=s.CancelConfirmation()), []
    return end_session(state, s.EndReason.CANCELLED)


# ---------------------------------------------------------------- the session's screens


def _card_status(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.CardStatus)
    if isinstance(event, e.Continue) and screen.can_unlock:
        if screen.started is not None and state.card is not None:
            return unlock.unlock_started(state, state.card, screen.started)
        return unlock.start_unlock(state)
    if isinstance(event, e.RegisterRequested) and screen.can_register:
        return registration.start_registration(state)
    if isinstance(event, e.ChangePasscodeRequested) and screen.can_register:
        return change_passcode.start_change_passcode(state)
    return state, []


def _help_page(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.HelpPage)
    if isinstance(event, e.Back | e.Continue):
        return replace(state, screen=screen.back_to), []
    return state, []


HANDLERS: HandlerTable = {
    s.CardStatus: _card_status,
    s.HelpPage: _help_page,
    s.SessionEnded: read_card_again,
}
"""Screen-state type -> handler, for the session's own screens."""
