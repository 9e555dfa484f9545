"""The one place that turns "the service could not be reached / refused" into a screen.

Every service call a screen makes is named by an `e.Call`. When a call gets no
usable answer the holder sees `ServiceUnavailable` saying what was in progress,
over the screen to come back to; inputs already typed stay in that screen's
widgets. A call the journey cannot go on from (ServiceRefused) stops the journey.
When the service says it is busy (ServiceBusy) the call itself waits and goes
again with the same Idempotency-Key (`kiosk.service_http`); the holder reads that
the service is busy over the screen as it was sent, and no probe goes meanwhile.
`TROUBLE` says, call by call, what the holder reads and what comes back.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace

from contract.language import N_
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.common import (
    INTENTS,
    Handler,
    Result,
    audit,
    current_time,
    retry_delay,
    stop,
)

SERVICE_BACK_SEND_AGAIN = N_(
    "The unlock service is working again. What you typed is still here: press Enter to send it."
)
SERVICE_BACK_TRY_AGAIN = N_(
    "The unlock service is working again. Type your new passcode twice and press Enter."
)


class ComesBack(enum.Enum):
    """Which screen comes back once the service answers again."""

    SEND_AGAIN = "send_again"
    """The screen as it was, no longer busy, saying: what you typed is here, send it."""
    QUIET = "quiet"
    """The screen as it was, no longer busy, saying nothing (the call went again by itself)."""
    AS_IS = "as_is"
    """Exactly the screen as it was (it is waiting for the retried call's answer)."""
    NEW_PASSCODE = "new_passcode"
    """A fresh new passcode screen: the new passcode is typed again."""


@dataclass(frozen=True)
class Trouble:
    """What the holder reads when one call cannot reach the service, and what follows."""

    doing: str
    """What was in progress, in plain words."""
    back: ComesBack
    retry: Callable[[s.KioskState], c.Command] | None = None
    """The same (non-secret) call again, sent by itself; None: the holder sends again."""


def _start_unlock_again(state: s.KioskState) -> c.Command:
    card = state.card
    assert card is not None  # the unlock only starts with a card read
    return c.StartUnlock(serial=card.serial, uuid=card.uuid)


def _service_id(state: s.KioskState) -> str:
    assert state.journey is not None  # only calls of a journey under way resend
    return state.journey.service_id


TROUBLE: dict[e.Call, Trouble] = {
    e.Call.START_UNLOCK: Trouble(N_("checking your card"), ComesBack.AS_IS, _start_unlock_again),
    e.Call.SEND_ANSWERS: Trouble(N_("checking your answers"), ComesBack.SEND_AGAIN),
    e.Call.SEND_CODE: Trouble(N_("checking your code"), ComesBack.SEND_AGAIN),
    e.Call.CHOOSE_CHANNEL: Trouble(N_("sending your code"), ComesBack.SEND_AGAIN),
    e.Call.RESEND_CODE: Trouble(
        N_("sending you a new code"),
        ComesBack.QUIET,
        lambda state: c.ResendCode(_service_id(state)),
    ),
    e.Call.WRITE_NEW_PASSCODE: Trouble(
        N_("getting the key to unlock your card"), ComesBack.NEW_PASSCODE
    ),
    e.Call.START_REGISTRATION: Trouble(N_("starting your registration"), ComesBack.SEND_AGAIN),
    e.Call.LOAD_QUESTION_CATALOGUE: Trouble(
        N_("fetching the security questions"), ComesBack.AS_IS, lambda _: c.LoadQuestionCatalogue()
    ),
    e.Call.SEND_REGISTRATION_ANSWERS: Trouble(N_("saving your answers"), ComesBack.SEND_AGAIN),
    e.Call.CONFIRM_REGISTRATION: Trouble(N_("checking your code"), ComesBack.SEND_AGAIN),
    e.Call.RESEND_REGISTRATION_CODE: Trouble(
        N_("sending you a new code"),
        ComesBack.QUIET,
        lambda state: c.ResendRegistrationCode(_service_id(state)),
    ),
}
"""Call -> what the holder reads while it cannot reach the service, and what comes back.
(CHECK_SERVICE is the probe itself: only `ServiceUnavailable` makes it.)"""

REGISTRATION_CALLS = frozenset(
    {
        e.Call.START_REGISTRATION,
        e.Call.LOAD_QUESTION_CATALOGUE,
        e.Call.SEND_REGISTRATION_ANSWERS,
        e.Call.CONFIRM_REGISTRATION,
        e.Call.RESEND_REGISTRATION_CODE,
    }
)
"""Calls a registration makes: a refusal of one stops the registration, not an unlock."""

# Cleared on the screen that comes back: it is no longer busy, and an old error
# would only confuse.
_SETTLED: dict[str, object] = {"sending": False, "checking": False, "error": None, "errors": ()}


def _screen_back(state: s.KioskState, back: ComesBack) -> s.Screen:
    screen = state.screen
    if back is ComesBack.AS_IS:
        return screen
    if back is ComesBack.NEW_PASSCODE:
        rules = tuple(state.config.passcode_rules.describe())
        return s.NewPasscode(rules=rules, notice=SERVICE_BACK_TRY_AGAIN)
    names = {f.name for f in fields(screen)}
    settled = {name: value for name, value in _SETTLED.items() if name in names}
    settled["notice"] = SERVICE_BACK_SEND_AGAIN if back is ComesBack.SEND_AGAIN else None
    return replace(screen, **settled)


def service_trouble(
    state: s.KioskState, event: e.Event, calls: Collection[e.Call]
) -> Result | None:
    """The outcome of a failed call the screen made, or None when `event` is not one.

    Args:
        state: The state, on the screen that made the call.
        event: The event to look at.
        calls: The calls this screen makes (a late failure of another is not its own).

    Returns:
        ServiceUnavailable over the screen to come back to when the service could
        not be reached; the journey stopped when the service refused; else None.
    """
    if isinstance(event, e.ServiceUnreachable) and event.failed in calls:
        return unreachable(state, event)
    if isinstance(event, e.ServiceBusy) and event.failed in calls:
        return busy(state, event)
    if isinstance(event, e.ServiceRefused) and event.failed in calls:
        registration = event.failed in REGISTRATION_CALLS
        return stop(state, s.StopReason.PROBLEM, event.code, registration=registration)
    return None


def unreachable(state: s.KioskState, event: e.ServiceUnreachable) -> Result:
    """Show ServiceUnavailable for the failed call, and schedule its first retry."""
    trouble = TROUBLE[event.failed]
    delay = retry_delay(state.config, 1, event.retry_after)
    screen = s.ServiceUnavailable(
        doing=trouble.doing,
        resume_to=_screen_back(state, trouble.back),
        retry=trouble.retry(state) if trouble.retry is not None else None,
        attempts=1,
        retry_at=current_time(state) + delay,
        mail=event.mail,
        typed=trouble.back is ComesBack.SEND_AGAIN,
        overloaded=event.overloaded,
    )
    return replace(state, screen=screen), [audit(state, "service_unreachable", event.failed.value)]


def busy(state: s.KioskState, event: e.ServiceBusy) -> Result:
    """Show that the service is busy over the screen as it is, still sending.

    The call itself waits and goes again (same Idempotency-Key), so nothing is
    scheduled here: its answer comes to the screen underneath, and if it gives up
    a ServiceUnreachable follows.
    """
    trouble = TROUBLE[event.failed]
    screen = s.ServiceUnavailable(
        doing=trouble.doing,
        resume_to=state.screen,
        retry_at=current_time(state) + dt.timedelta(seconds=event.retry_after),
        typed=trouble.back is ComesBack.SEND_AGAIN,
        overloaded=True,
        call_waiting=True,
    )
    return replace(state, screen=screen), [audit(state, "service_busy", event.failed.value)]


def while_unavailable(state: s.KioskState, event: e.Event, underneath: Handler | None) -> Result:
    """Events on the ServiceUnavailable screen.

    Args:
        state: The state, on ServiceUnavailable.
        event: What happened.
        underneath: The handler of the screen to come back to (None: it has none).

    Returns:
        The next try scheduled, the screen back, or what the screen underneath
        makes of the answer to the retried call.
    """
    screen = state.screen
    assert isinstance(screen, s.ServiceUnavailable)
    if isinstance(event, e.ServiceBusy):
        # A call of this screen's waits again (or a retried one met a busy service).
        at = current_time(state) + dt.timedelta(seconds=event.retry_after)
        waiting = replace(screen, overloaded=True, call_waiting=True, retry_at=at)
        return replace(state, screen=waiting), []
    if isinstance(event, e.ServiceUnreachable) and screen.call_waiting and event.failed in TROUBLE:
        # The waiting call gave up: the usual outage, from the screen underneath.
        return unreachable(replace(state, screen=screen.resume_to), event)
    if isinstance(event, e.ServiceUnreachable):
        attempts = screen.attempts + 1
        delay = retry_delay(state.config, attempts, event.retry_after)
        waiting = replace(screen, attempts=attempts, retry_at=current_time(state) + delay)
        return replace(state, screen=waiting), []
    if isinstance(event, e.ServiceReachable):
        if screen.retry is not None or screen.call_waiting:
            # The retried call itself will answer; keep waiting for it.
            return state, []
        return replace(state, screen=screen.resume_to), [audit(state, "service", "reachable")]
    # Anything else is the answer to the retried call, or an intent meant for the
    # screen underneath: let that screen's handler have it.
    if underneath is None or isinstance(event, INTENTS):
        return state, []
    below = replace(state, screen=screen.resume_to)
    handled, commands = underneath(below, event)
    if handled == below and not commands:
        return state, []
    return handled, commands


def retry_due(state: s.KioskState, now: dt.datetime) -> Result:
    """On a Tick: send the retry (or the probe) once its time has come."""
    screen = state.screen
    if (
        isinstance(screen, s.ServiceUnavailable)
        and not screen.call_waiting  # the call goes again by itself
        and screen.retry_at
        and now >= screen.retry_at
    ):
        command = screen.retry if screen.retry is not None else c.CheckService()
        return replace(state, screen=replace(screen, retry_at=None)), [command]
    return state, []
