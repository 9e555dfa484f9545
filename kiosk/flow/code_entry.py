"""The emailed-code step, written once for both journeys.

An unlock and a registration show the same code screen with the same checks,
resend timing and replies; they differ only in the calls the screen makes, the
reply that ends the step, and the reply that says the journey's window closed.
`CodeCalls` names those differences; `code_entry_handler` builds the screen's
handler from them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from contract.codes import digits_of
from contract.language import N_, plural
from contract.problems import ProblemCode
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.common import (
    RESUMED,
    Handler,
    Result,
    audit,
    current_time,
    handler_for,
    journey_of,
    seconds_until,
    stop,
    wipe_and_forget,
    with_journey,
)
from kiosk.flow.facts import Checkpoint, Step
from kiosk.flow.service_trouble import service_trouble

NO_MORE_RESENDS = N_(
    "No more new codes can be sent for this unlock. Use the last code we sent, "
    "or press Escape to stop and start again later."
)


def code_wrong_message(tries_left: int) -> str:
    """A wrong code: the tries left, and what the last one means.

    The service voids the code after three wrong tries in all, a new code
    included, and a void code cannot be resent: the journey starts again.
    """
    if tries_left <= 1:
        return N_(
            "That code is not right. You have 1 try left. Check it against the newest "
            "email. If the next code is also wrong, the code stops working and you will "
            "have to start again."
        )
    return plural(
        "That code is not right. You have {count} try left. Check it against the newest email.",
        "That code is not right. You have {count} tries left. Check it against the newest email.",
        tries_left,
    )


def one_code_wrong_message(wrong_codes: tuple[str, ...], tries_left: int) -> str | None:
    """Two codes sent, and the service said which was wrong: name it (None: both or neither)."""
    if wrong_codes == ("sms",):
        return plural(
            "The texted code is not right; the emailed code is, and is kept. Type the texted "
            "code again. You have {count} try left for it.",
            "The texted code is not right; the emailed code is, and is kept. Type the texted "
            "code again. You have {count} tries left for it.",
            tries_left,
        )
    if wrong_codes == ("email",):
        return plural(
            "The emailed code is not right; the texted code is, and is kept. Type the emailed "
            "code again. You have {count} try left for it.",
            "The emailed code is not right; the texted code is, and is kept. Type the emailed "
            "code again. You have {count} tries left for it.",
            tries_left,
        )
    if set(wrong_codes) == {"email", "sms"}:
        return plural(
            "Neither code is right. Check both against the newest email and text, and type "
            "them again. You have {count} try left.",
            "Neither code is right. Check both against the newest email and text, and type "
            "them again. You have {count} tries left.",
            tries_left,
        )
    return None


# The code screen's fields (screens/code_sent.py): the emailed code, the texted one.
KEPT_FIELD: dict[tuple[str, ...], tuple[str, ...]] = {
    ("sms",): ("code",),
    ("email",): ("text-code",),
}


def owed_message(not_sent: tuple[str, ...]) -> str | None:
    """Of two codes, one could not be sent: which, that the other went, and F7."""
    if "sms" in not_sent:
        return N_(
            "The text with your second code could not be sent just now. The email did go: "
            "keep its code. Press F7 to send the text again."
        )
    if "email" in not_sent:
        return N_(
            "The email with your first code could not be sent just now. The text did go: "
            "keep its code. Press F7 to send the email again."
        )
    return None


def resent_message(sent_to: str, tries_left: int | None) -> str:
    """A new code was sent: the old one is dead, the tries left are as they were."""
    if tries_left is not None:
        return plural(
            "We sent a new code to {sent_to}. Use it: the old one no longer works. You still "
            "have {count} try left: a new code does not give you more tries.",
            "We sent a new code to {sent_to}. Use it: the old one no longer works. You still "
            "have {count} tries left: a new code does not give you more tries.",
            tries_left,
            sent_to=sent_to,
        )
    return N_(
        "We sent a new code to {sent_to}. Use it: the old one no longer works. "
        "A new code does not give you more tries.",
        sent_to=sent_to,
    )


@dataclass(frozen=True)
class CodeCalls:
    """What one journey's code screen sends, and how that journey's step ends."""

    send: Callable[[str, str], c.Command]
    """(service id, code) -> the command that sends the code."""
    resend: Callable[[str], c.Command]
    """service id -> the command that asks for a new code."""
    calls: tuple[e.Call, ...]
    """The service calls those two commands make."""
    done: type[e.Event]
    """The reply that accepts the code."""
    on_done: Callable[[s.KioskState, Checkpoint, e.Event], Result]
    """What follows an accepted code."""
    expired: type[e.Event]
    """The reply that says the journey's window closed."""
    expired_why: str
    """The audit's word for that."""


def code_sent(
    state: s.KioskState,
    journey: Checkpoint,
    event: e.AnswersAccepted,
    screen: type[s.CodeEntry],
    audit_kind: str,
) -> Result:
    """Answers accepted and the code mailed (unlock or registration): on to its code screen."""
    now = current_time(state)
    code = screen(
        sent_to=event.code_sent_to,
        sent_at=now,
        expires_at=event.code_expires_at,
        text_sent_to=event.text_sent_to,
        not_sent=event.not_sent,
        notice=owed_message(event.not_sent),
        resend_available_at=now + state.config.resend_interval,
    )
    progressed = replace(
        journey,
        step=Step.CODE,
        code_sent_to=event.code_sent_to,
        code_sent_at=now,
        code_expires_at=event.code_expires_at,
        text_sent_to=event.text_sent_to,
        not_sent=event.not_sent,
    )
    state, commands = with_journey(replace(state, screen=code), progressed)
    return state, [c.WipeInputs(), *commands, audit(state, audit_kind, "accepted")]


def resumed_code_entry(checkpoint: Checkpoint, screen: type[s.CodeEntry]) -> s.CodeEntry:
    """The code screen of a journey resumed after a restart."""
    return screen(
        sent_to=checkpoint.code_sent_to or "",
        sent_at=checkpoint.code_sent_at or checkpoint.updated_at,
        expires_at=checkpoint.code_expires_at or checkpoint.expires_at,
        tries_left=checkpoint.tries_left,
        text_sent_to=checkpoint.text_sent_to,
        not_sent=checkpoint.not_sent,
        # A code still owed is said again: F7 sends it, the other code still works.
        notice=owed_message(checkpoint.not_sent) or RESUMED,
    )


def self_service_refusal(event: e.SelfServiceLockedReply) -> ProblemCode:
    """The problem code a locked or paused reply audits."""
    if event.paused_for is None:
        return ProblemCode.SELF_SERVICE_LOCKED
    return ProblemCode.SELF_SERVICE_PAUSED


def code_entry_handler(calls: CodeCalls) -> Handler:
    """The handler of a code screen that makes `calls`."""

    def handle(
        state: s.KioskState, event: e.Event, screen: s.CodeEntry, journey: Checkpoint
    ) -> Result:
        if isinstance(event, e.SubmitCode | e.ResendCodeRequested):
            return _holder_asks(state, screen, journey, event, calls)
        if isinstance(event, calls.done):
            return calls.on_done(state, journey, event)
        if isinstance(event, calls.expired):
            return stop(state, s.StopReason.EXPIRED, calls.expired_why)
        if isinstance(event, e.CodeVoid):
            return stop(state, s.StopReason.CODE_VOID, ProblemCode.CODE_VOID)
        if isinstance(event, e.SelfServiceLockedReply):
            # Too many wrong codes for this holder lately (issue 13 item 6).
            commands = [*wipe_and_forget(state), audit(state, "code", self_service_refusal(event))]
            locked = s.SelfServiceLocked(paused_for=event.paused_for)
            return replace(state, screen=locked, journey=None), commands
        trouble = service_trouble(state, event, calls.calls)
        if trouble is not None:
            return trouble
        return _code_reply(state, screen, journey, event)

    return handler_for(s.CodeEntry, journey_of, handle)


def _holder_asks(
    state: s.KioskState,
    screen: s.CodeEntry,
    journey: Checkpoint,
    event: e.SubmitCode | e.ResendCodeRequested,
    calls: CodeCalls,
) -> Result:
    if isinstance(event, e.SubmitCode) and screen.not_sent:
        # A code that never went cannot be typed: F7 sends it (nothing is counted).
        error = owed_message(screen.not_sent)
        return replace(state, screen=replace(screen, error=error, notice=None)), []
    if isinstance(event, e.SubmitCode):
        # Holders copy codes with spaces ("1234 5678"); the service wants digits.
        code = digits_of(event.code)
        digits = state.config.code_digits
        if len(code) != digits or not all("0" <= ch <= "9" for ch in code):
            error = N_(
                "The code is {digits} digits. Check the email and type it again.", digits=digits
            )
            return replace(state, screen=replace(screen, error=error, notice=None)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        if screen.text_sent_to is not None:
            # Two codes (policy two-channel): both go in one request.
            text_code = digits_of(event.text_code or "")
            if len(text_code) != digits or not all("0" <= ch <= "9" for ch in text_code):
                error = N_(
                    "The texted code is {digits} digits. Check the text and type it again.",
                    digits=digits,
                )
                return replace(state, screen=replace(screen, error=error, notice=None)), []
            return replace(state, screen=sending), [
                c.SendCode(unlock_id=journey.service_id, code=code, text_code=text_code)
            ]
        return replace(state, screen=sending), [calls.send(journey.service_id, code)]
    now = current_time(state)
    if screen.resends_exhausted:
        return replace(state, screen=replace(screen, error=NO_MORE_RESENDS)), []
    if screen.resend_available_at is not None and now < screen.resend_available_at:
        wait = seconds_until(now, screen.resend_available_at)
        error = plural(
            "You can ask for a new code in {count} second.",
            "You can ask for a new code in {count} seconds.",
            wait,
        )
        return replace(state, screen=replace(screen, error=error, notice=None)), []
    sending = replace(screen, sending=True, error=None, notice=None)
    return replace(state, screen=sending), [calls.resend(journey.service_id)]


def _code_reply(
    state: s.KioskState, screen: s.CodeEntry, journey: Checkpoint, event: e.Event
) -> Result:
    """The service's replies both journeys' code screens share."""
    now = current_time(state)
    if isinstance(event, e.CodeWrong):
        named = one_code_wrong_message(event.wrong_codes, event.tries_left)
        error = named or code_wrong_message(event.tries_left)
        # Only the wrong one of two codes is typed again; the right one stays.
        keep = KEPT_FIELD.get(event.wrong_codes, ()) if screen.text_sent_to else ()
        wrong = replace(
            screen, tries_left=event.tries_left, error=error, notice=None, sending=False
        )
        state, commands = with_journey(
            replace(state, screen=wrong), replace(journey, tries_left=event.tries_left)
        )
        return state, [
            c.WipeInputs(keep=keep),
            *commands,
            audit(
                state,
                "code",
                "wrong",
                tries_left=event.tries_left,
                wrong=",".join(event.wrong_codes) or None,
            ),
        ]
    if isinstance(event, e.CodeExpired):
        error = N_("This code has expired. Ask for a new code.")
        expired = replace(screen, error=error, notice=None, sending=False)
        return replace(state, screen=expired), [c.WipeInputs(), audit(state, "code", "expired")]
    if isinstance(event, e.ResendDone) and screen.not_sent:
        # Only the owed code went: the other code and its time are as they were.
        owed_to = screen.text_sent_to if "sms" in screen.not_sent else screen.sent_to
        notice = owed_message(event.not_sent) or N_(
            "We sent the code we still owed you to {sent_to}. The other code still works.",
            sent_to=owed_to or "",
        )
        resent = replace(
            screen,
            not_sent=event.not_sent,
            resend_available_at=now + state.config.resend_interval,
            error=None,
            notice=notice,
            sending=False,
        )
        state, commands = with_journey(
            replace(state, screen=resent), replace(journey, not_sent=event.not_sent)
        )
        return state, [*commands, audit(state, "code", "owed_sent")]
    if isinstance(event, e.ResendDone):
        notice = resent_message(event.code_sent_to, journey.tries_left)
        resent = replace(
            screen,
            sent_to=event.code_sent_to,
            sent_at=now,
            expires_at=event.code_expires_at,
            resend_available_at=now + state.config.resend_interval,
            not_sent=event.not_sent,
            error=None,
            notice=owed_message(event.not_sent) or notice,
            sending=False,
        )
        progressed = replace(
            journey,
            code_sent_to=event.code_sent_to,
            code_sent_at=now,
            code_expires_at=event.code_expires_at,
            not_sent=event.not_sent,
        )
        state, commands = with_journey(replace(state, screen=resent), progressed)
        return state, [c.WipeInputs(), *commands, audit(state, "code", "resent")]
    if isinstance(event, e.ResendRefused):
        if event.retry_after is None:
            refused = replace(screen, resends_exhausted=True, error=NO_MORE_RESENDS, sending=False)
        else:
            refused = replace(
                screen,
                resend_available_at=now + dt.timedelta(seconds=event.retry_after),
                error=plural(
                    "You can ask for a new code in {count} second.",
                    "You can ask for a new code in {count} seconds.",
                    event.retry_after,
                ),
                sending=False,
            )
        return replace(state, screen=refused), [
            audit(state, "code", "resend_refused", retry_after=event.retry_after)
        ]
    return state, []
