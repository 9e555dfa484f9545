"""The RA desk as part of the pure flow (issue 17): sign-in, the holder's card, actions.

At a kiosk configured as an RA desk (`FlowConfig.ra_desk`) a working card's status
screen offers "sign in as an RA"; the RA's own passcode goes to their card (VERIFY,
then the holder-key proof) and the service says whether this holder is an RA. From
then on the screen states are `RaScreen`s and `machine.step` hands every event but
the holder's key presses (UserActivity) to `step` here.

One reader: after sign-in the RA takes their card out and puts the holder's in; the
session stays on the service while the holder's card is in. The RA signs out with S,
by putting their own card back and pulling it, or by walking away (the RA session's
idle time, from the service). Every RA action is audited by the service with the RA's
identity; the kiosk adds its own `ra_*` events to its outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from contract.language import N_, plural
from kiosk.contact_rules import contact_problems
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import ra_events as r
from kiosk.flow import states as s
from kiosk.flow.common import Result, audit, current_time, read_card_again, status_of
from kiosk.flow.facts import CardFacts, PinState
from kiosk.flow.ra_states import (
    RaConfirmHolder,
    RaContacts,
    RaEnded,
    RaHolder,
    RaHome,
    RaNewPasscode,
    RaPasscode,
    RaReport,
    RaScreen,
    RaSession,
)

SIGNED_OUT = N_("You are signed out.")
SESSION_ENDED = N_("Your RA session has ended. Sign in again with your card.")
OWN_CARD = N_("This is your own card. Pull it out to sign out, or press S.")
HOLDER_REMOVED = N_("The holder's card was taken out. Nothing was changed on it.")
SIGN_IN_STOPPED = N_("The RA sign-in was stopped: no key was pressed for a while.")
UNREADABLE = N_("That card cannot be read here. Try it again, or another card.")


def handles(state: s.KioskState, event: e.Event) -> bool:
    """Whether `step` here takes this event (the machine asks before its own handlers)."""
    if isinstance(state.screen, RaScreen):
        return True
    if isinstance(event, RA_READER_EVENTS):
        return state.config.ra_reader
    return (
        isinstance(event, r.RaSignInRequested)
        and state.config.ra_desk
        and isinstance(state.screen, s.CardStatus)
        and state.screen.can_register
        and state.card is not None
    )


RA_READER_EVENTS = (r.RaCardInserted, r.RaCardRemoved, r.RaCardRead)


def step(state: s.KioskState, event: e.Event) -> Result:
    """One event at the RA desk."""
    screen = state.screen
    if isinstance(event, RA_READER_EVENTS):
        return _ra_reader(state, event)
    if isinstance(screen, s.CardStatus):
        assert state.card is not None
        return replace(state, screen=RaPasscode(card=state.card)), [
            audit(state, "ra_sign_in", "asked")
        ]
    if isinstance(event, e.Tick):
        return _tick(state, event.now)
    if isinstance(event, r.RaSignOutRequested) and _session(screen) is not None:
        return _signed_out(state, SIGNED_OUT, "signed_out")
    if isinstance(event, e.CardRemoved):
        return _card_removed(state)
    if isinstance(event, e.CardInserted):
        return _card_inserted(state)
    if isinstance(event, e.CardRead):
        return _card_read(state, event.card)
    if isinstance(event, e.CardUnreadable) and isinstance(screen, RaHome):
        return replace(state, screen=replace(screen, reading=False, notice=UNREADABLE)), []
    if isinstance(event, e.CardServiceLost | e.ReaderRemoved):
        ended, commands = _signed_out(state, SESSION_ENDED, "card_removed")
        screen_now: s.Screen = (
            s.NoCardService() if isinstance(event, e.CardServiceLost) else s.NoReader()
        )
        return replace(ended, screen=screen_now, card=None, unwatched=True), commands
    if isinstance(event, r.RaReportRequested) and isinstance(screen, RaHome | RaHolder):
        return _open_report(state, screen)
    if isinstance(event, r.RaRefused) and event.code == "ra_session_ended":
        return replace(state, screen=RaEnded(why=SESSION_ENDED)), [c.WipeInputs()]
    handler = HANDLERS.get(type(screen))
    return handler(state, event) if handler is not None else (state, [])


def _session(screen: s.Screen) -> RaSession | None:
    session = getattr(screen, "session", None)
    return session if isinstance(session, RaSession) else None


def _signed_out(state: s.KioskState, why: str, reason: r.SignOutReason) -> Result:
    session = _session(state.screen)
    commands: list[c.Command] = [c.WipeInputs()]
    if session is not None:
        commands.append(r.RaSignOut(session.session_id, reason))
        commands.append(audit(state, "ra_sign_out", reason))
    return replace(state, screen=RaEnded(why=why), overlay=None), commands


def _tick(state: s.KioskState, now: dt.datetime) -> Result:
    session = _session(state.screen)
    quiet = now - (state.last_activity or now)
    if isinstance(state.screen, RaPasscode) and not state.screen.busy:
        config = state.config
        if quiet >= config.inactivity_timeout + config.inactivity_countdown:
            return replace(state, screen=RaEnded(why=SIGN_IN_STOPPED)), [c.WipeInputs()]
        return state, []
    if session is None or state.screen.busy:
        return state, []
    if quiet >= dt.timedelta(seconds=session.idle_seconds):
        minutes = max(1, session.idle_seconds // 60)
        idle = plural(
            "You were signed out: the RA session had no use for {count} minute.",
            "You were signed out: the RA session had no use for {count} minutes.",
            minutes,
        )
        return _signed_out(state, idle, "idle")
    return state, []


def _ra_reader(state: s.KioskState, event: e.Event) -> Result:
    """Two readers: the RA's own reader. A card in it starts the sign-in (unless a holder
    is mid-way through a journey of their own); pulling it signs out."""
    screen = state.screen
    signed_in = _session(screen) is not None
    if isinstance(event, r.RaCardRemoved):
        if isinstance(screen, RaPasscode) and screen.ra_reader and not screen.checking:
            return replace(state, screen=screen.back_to or s.WaitingForCard()), [c.WipeInputs()]
        if not signed_in:
            return state, []
        _, commands = _signed_out(state, SIGNED_OUT, "card_removed")
        if state.card is not None:
            # Back to the holder whose card is in: self-service, as at any kiosk.
            return replace(state, screen=s.ReadingCard(), card=None), [*commands, c.ReadCard()]
        return replace(state, screen=s.WaitingForCard()), commands
    # Not over a holder's journey of their own, nor while anything is being written.
    mid_way = screen.busy or state.journey is not None or isinstance(screen, s.WritingCard)
    if signed_in or isinstance(screen, RaScreen) or mid_way:
        return state, []
    if isinstance(event, r.RaCardInserted):
        return state, [r.RaReadRaCard()]
    assert isinstance(event, r.RaCardRead)
    passcode = RaPasscode(
        card=event.card, ra_reader=True, back_to=screen, holder_card_in=state.card is not None
    )
    return replace(state, screen=passcode), [audit(state, "ra_sign_in", "asked")]


def _card_removed(state: s.KioskState) -> Result:
    screen = state.screen
    if isinstance(screen, RaPasscode) and screen.ra_reader:
        # The holders' reader: the RA's sign-in goes on.
        waiting = replace(screen, back_to=s.WaitingForCard(), holder_card_in=False)
        return replace(state, screen=waiting, card=None), []
    if isinstance(screen, RaReport):
        screen = screen.back_to  # a card pulled under the report is pulled from there
    state = replace(state, card=None, screen=screen)
    if isinstance(screen, RaPasscode | RaEnded):
        # Not signed in yet (nothing to end), or already ended.
        return replace(state, screen=s.WaitingForCard()), [c.WipeInputs()]
    if isinstance(screen, RaHome):
        if screen.returned:
            return _signed_out(state, SIGNED_OUT, "card_removed")
        return replace(state, screen=RaHome(session=screen.session)), []
    session = _session(screen)
    assert session is not None
    home = RaHome(session=session, notice=HOLDER_REMOVED)
    return replace(state, screen=home), [c.WipeInputs(), audit(state, "ra_holder_card", "removed")]


def _card_inserted(state: s.KioskState) -> Result:
    screen = state.screen
    if isinstance(screen, RaPasscode) and screen.ra_reader:
        # The holders' reader: read once the RA is signed in.
        return replace(state, screen=replace(screen, holder_card_in=True)), []
    session = _session(screen)
    if session is None:
        return replace(state, screen=s.ReadingCard(), card=None), [c.WipeInputs(), c.ReadCard()]
    return replace(state, screen=RaHome(session=session, reading=True), card=None), [c.ReadCard()]


def _card_read(state: s.KioskState, card: CardFacts) -> Result:
    screen = state.screen
    if not isinstance(screen, RaHome):
        return state, []
    state = replace(state, card=card)
    session = screen.session
    if card.serial == session.ra_serial:
        # A holder's card is never taken for the RA's, nor the other way round.
        home = RaHome(session=session, ra_card_in=True, returned=True, notice=OWN_CARD)
        return replace(state, screen=home), []
    holder = RaHolder(session=session, holder=card)
    command = r.RaTakeHolderCard(session.session_id, card.serial, card.uuid)
    return replace(state, screen=holder), [command]


# ---------------------------------------------------------------- the screens


def _passcode(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaPasscode)
    if isinstance(event, e.SubmitPasscode) and not screen.checking:
        if not event.passcode:
            return replace(state, screen=replace(screen, error=N_("Type your passcode."))), []
        card = screen.card
        command = r.RaSignIn(card.serial, card.uuid, event.passcode, ra_reader=screen.ra_reader)
        return replace(state, screen=replace(screen, checking=True, error=None)), [command]
    if isinstance(event, e.PasscodeWrong):
        error = plural(
            "That passcode is not right. Your card allows {count} more try.",
            "That passcode is not right. Your card allows {count} more tries.",
            event.tries_left,
        )
        return replace(state, screen=replace(screen, checking=False, error=error)), [
            c.WipeInputs(),
            audit(state, "ra_sign_in", "passcode_wrong", tries_left=event.tries_left),
        ]
    if isinstance(event, e.PasscodeBlocked):
        why = N_("Your card is now locked. Another RA can unlock it.")
        return replace(state, screen=RaEnded(why=why)), [c.WipeInputs()]
    if isinstance(event, r.RaRefused):
        return replace(state, screen=replace(screen, checking=False, error=event.message)), [
            c.WipeInputs(),
            audit(state, "ra_sign_in", event.code or "refused"),
        ]
    if isinstance(event, r.RaSignedIn):
        signed_in: list[c.Command] = [c.WipeInputs(), audit(state, "ra_sign_in", "ok")]
        if screen.ra_reader:
            # Two readers: the RA's card stays in; a holder's card already in is read now.
            if screen.holder_card_in:
                home = RaHome(session=event.session, reading=True)
                return replace(state, screen=home, card=None), [*signed_in, c.ReadCard()]
            return replace(state, screen=RaHome(session=event.session)), signed_in
        home = RaHome(session=event.session, ra_card_in=True)
        return replace(state, screen=home), signed_in
    if isinstance(event, e.Back) and not screen.checking:
        if screen.ra_reader:
            return replace(state, screen=screen.back_to or s.WaitingForCard()), [c.WipeInputs()]
        back = s.WaitingForCard() if state.card is None else status_of(state, state.card)
        return replace(state, screen=back), [c.WipeInputs()]
    return state, []


def _home(state: s.KioskState, event: e.Event) -> Result:
    return state, []


def _holder(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaHolder)
    if isinstance(event, r.RaHolderRead):
        updated = replace(screen, view=event.view, notice=event.notice, error=None, working=False)
        return replace(state, screen=updated), []
    if isinstance(event, r.RaRefused):
        return replace(state, screen=replace(screen, error=event.message, working=False)), []
    view = screen.view
    if view is None or screen.working:
        return state, []
    if isinstance(event, r.RaClearLockRequested) and view.locked:
        command = r.RaClearLock(screen.session.session_id)
        return replace(state, screen=replace(screen, working=True, notice=None)), [command]
    if isinstance(event, r.RaContactsRequested):
        domains = state.config.approved_email_domains
        contacts = RaContacts(
            session=screen.session, holder=screen.holder, view=view, approved_domains=domains
        )
        return replace(state, screen=contacts), []
    if isinstance(event, r.RaUnlockRequested) and screen.holder.pin is PinState.BLOCKED:
        confirm = RaConfirmHolder(session=screen.session, holder=screen.holder, view=view)
        return replace(state, screen=confirm), []
    return state, []


def _confirm(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaConfirmHolder)
    if isinstance(event, e.Continue):
        rules = tuple(state.config.passcode_rules.describe())
        new = RaNewPasscode(
            session=screen.session, holder=screen.holder, view=screen.view, rules=rules
        )
        return replace(state, screen=new), [audit(state, "ra_unlock", "holder_confirmed")]
    if isinstance(event, e.Back):
        back = RaHolder(session=screen.session, holder=screen.holder, view=screen.view)
        return replace(state, screen=back), []
    return state, []


def _new_passcode(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaNewPasscode)
    if isinstance(event, e.SubmitNewPasscode) and not screen.writing:
        reasons = state.config.passcode_rules.check_pair(event.new, event.repeat)
        if reasons:
            return replace(state, screen=replace(screen, errors=tuple(reasons))), []
        holder = screen.holder
        session = screen.session
        command = r.RaAssistedUnlock(
            session.session_id, holder.serial, holder.uuid, event.new, ra_serial=session.ra_serial
        )
        return replace(state, screen=replace(screen, writing=True, errors=())), [command]
    if isinstance(event, r.RaUnlockDone):
        holder = replace(screen.holder, pin=PinState.WORKING, tries_left=None)
        at = current_time(state).strftime("%H:%M")
        notice = N_(
            "The card was unlocked at {at} with the holder's new passcode; they were emailed.",
            at=at,
        )
        done = RaHolder(session=screen.session, holder=holder, view=event.view, notice=notice)
        return replace(state, screen=done, card=holder), [
            c.WipeInputs(),
            audit(state, "ra_unlock", "unlocked"),
        ]
    if isinstance(event, r.RaRefused):
        failed = replace(screen, writing=False, errors=(event.message,))
        return replace(state, screen=failed), [c.WipeInputs(), audit(state, "ra_unlock", "failed")]
    if isinstance(event, e.Back):
        back = RaHolder(session=screen.session, holder=screen.holder, view=screen.view)
        return replace(state, screen=back), [c.WipeInputs()]
    return state, []


def _contacts(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaContacts)
    if isinstance(event, e.SubmitContactDetails) and not screen.sending:
        problems = contact_problems(event.email, event.mobile, screen.approved_domains)
        if problems:
            return replace(state, screen=replace(screen, errors=problems)), []
        command = r.RaChangeContacts(screen.session.session_id, event.email.strip(), event.mobile)
        return replace(state, screen=replace(screen, sending=True, errors=())), [command]
    if isinstance(event, r.RaHolderRead):
        done = RaHolder(
            session=screen.session, holder=screen.holder, view=event.view, notice=event.notice
        )
        return replace(state, screen=done), [
            c.WipeInputs(),
            audit(state, "ra_holder_contacts", "ok"),
        ]
    if isinstance(event, r.RaRefused):
        return replace(state, screen=replace(screen, sending=False, errors=(event.message,))), []
    if isinstance(event, e.Back) and not screen.sending:
        back = RaHolder(session=screen.session, holder=screen.holder, view=screen.view)
        return replace(state, screen=back), [c.WipeInputs()]
    return state, []


REPORT_DAYS = 30
"""The report's period when it opens: the last 30 UTC days, today included."""
REPORT_PERIODS = (7, 30, 90)
"""The periods one key chooses on the report screen (the last N UTC days)."""
REPORT_MAX_DAYS = 366
"""The longest period the service reports (docs/api.md, `period_invalid`)."""


def report_period(since: str, until: str, today: dt.date) -> tuple[dt.date, dt.date] | str:
    """The period the RA typed, or why it cannot be reported (a phrase for the screen).

    Args:
        since: The first day as typed (YYYY-MM-DD).
        until: The last day as typed (YYYY-MM-DD).
        today: Today's UTC date (the last day may not be after it).
    """
    try:
        first, last = (dt.date.fromisoformat(text.strip()) for text in (since, until))
    except ValueError:
        example = (today - dt.timedelta(days=6)).isoformat()
        return N_("Type each day as YYYY-MM-DD, for example {example}.", example=example)
    if last < first:
        return N_("The last day is before the first day. Nothing was changed.")
    if (last - first).days + 1 > REPORT_MAX_DAYS:
        return N_(
            "A report covers at most {count} days. Nothing was changed.", count=REPORT_MAX_DAYS
        )
    if last > today:
        return N_(
            "The last day is after today ({today}). Nothing was changed.", today=today.isoformat()
        )
    return first, last


def _today(state: s.KioskState) -> dt.date:
    return current_time(state).astimezone(dt.UTC).date()


def _load(state: s.KioskState, report: RaReport, since: dt.date, until: dt.date) -> Result:
    """Ask the service for since..until; the screen shows the new period while it counts."""
    asked = replace(
        report,
        since=since.isoformat(),
        until=until.isoformat(),
        report=None,
        error=None,
        loading=True,
        choosing_dates=False,
    )
    command = r.RaLoadReport(report.session.session_id, asked.since, asked.until)
    return replace(state, screen=asked), [command]


def _open_report(state: s.KioskState, screen: RaHome | RaHolder) -> Result:
    session = screen.session
    if session.role != "manager":
        return state, []
    until = _today(state)
    since = until - dt.timedelta(days=REPORT_DAYS - 1)
    report = RaReport(session=session, back_to=screen, since="", until="")
    return _load(state, report, since, until)


def _report(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, RaReport)
    if isinstance(event, r.RaReportRead):
        figures = event.report
        if screen.loading and (figures.since, figures.until) == (screen.since, screen.until):
            return replace(state, screen=replace(screen, report=figures, loading=False)), []
        return state, []  # an answer for a period no longer asked for
    if isinstance(event, r.RaRefused):
        return replace(state, screen=replace(screen, error=event.message, loading=False)), []
    if screen.loading:
        return state, []
    if screen.choosing_dates:
        if isinstance(event, r.SubmitReportDates):
            period = report_period(event.since, event.until, _today(state))
            if isinstance(period, str):
                # Bad input changes nothing: the period and figures shown stay.
                return replace(state, screen=replace(screen, error=period)), []
            return _load(state, screen, *period)
        if isinstance(event, e.Back):
            left = replace(screen, choosing_dates=False, error=None)
            return replace(state, screen=left), [c.WipeInputs()]
        return state, []
    if isinstance(event, r.RaReportPeriodChosen) and event.days in REPORT_PERIODS:
        until = _today(state)
        return _load(state, screen, until - dt.timedelta(days=event.days - 1), until)
    if isinstance(event, r.RaReportDatesRequested):
        return replace(state, screen=replace(screen, choosing_dates=True, error=None)), []
    if isinstance(event, e.Back | e.Continue):
        return replace(state, screen=screen.back_to), []
    return state, []


HANDLERS = {
    RaPasscode: _passcode,
    RaHome: _home,
    RaHolder: _holder,
    RaConfirmHolder: _confirm,
    RaNewPasscode: _new_passcode,
    RaContacts: _contacts,
    RaReport: _report,
    RaEnded: read_card_again,
}
"""RA screen-state type -> handler."""
