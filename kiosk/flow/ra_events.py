"""The RA desk's events and commands (issue 17), beside `events` and `commands`.

The RA's passcode and the holder's new passcode travel in the commands that take
them to a card (`RaSignIn`, `RaAssistedUnlock`) and nowhere else: `repr=False`, never
in an event, a state or an audit record.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from kiosk.flow.commands import Command
from kiosk.flow.events import Event
from kiosk.flow.facts import CardFacts
from kiosk.flow.ra_states import RaHolderView, RaReportView, RaSession

SignOutReason = Literal["card_removed", "signed_out", "idle"]

# -- the RA's intents ------------------------------------------------------------------


class RaSignInRequested(Event):
    """On a working card's status screen at an RA desk: sign in as an RA."""


class RaSignOutRequested(Event):
    """The RA signs out (the card is kept)."""


class RaClearLockRequested(Event):
    """Clear the holder's self-service lock."""


class RaUnlockRequested(Event):
    """Start an assisted unlock of the holder's blocked card."""


class RaContactsRequested(Event):
    """Record or correct the holder's email and mobile."""


class RaReportRequested(Event):
    """An RA manager asks for the report."""


class RaReportPeriodChosen(Event):
    """On the report: the last `days` UTC days, today included (7, 30 or 90)."""

    days: int


class RaReportDatesRequested(Event):
    """On the report: type the first and the last day of the period."""


class SubmitReportDates(Event):
    """The first and the last day as typed (checked by the flow, not the screen)."""

    since: str
    until: str


# -- the RA's own reader (two readers) ----------------------------------------------------


class RaCardInserted(Event):
    """A card went into the RA's own reader."""


class RaCardRemoved(Event):
    """The card left the RA's own reader."""


class RaCardRead(Event):
    """The card in the RA's own reader."""

    card: CardFacts


# -- answers ---------------------------------------------------------------------------


class RaSignedIn(Event):
    """The service opened the RA's session."""

    session: RaSession


class RaHolderRead(Event):
    """The holder's state, after the card was proved or an action was taken."""

    view: RaHolderView
    notice: str | None = None


class RaUnlockDone(Event):
    """The holder's card took the new passcode; the service recorded it."""

    view: RaHolderView


class RaReportRead(Event):
    """The service's report."""

    report: RaReportView


class RaRefused(Event):
    """The service or the card said no; `message` is plain words for the screen."""

    message: str
    code: str = ""
    """The service's problem code (`ra_session_ended` ends the session), or ""."""


# -- commands --------------------------------------------------------------------------


class RaReadRaCard(Command):
    """Read the card in the RA's own reader; answers RaCardRead or RaRefused."""


class RaSignIn(Command):
    """VERIFY the RA's passcode on their card, prove it, open the session. Answers:
    RaSignedIn, PasscodeWrong, PasscodeBlocked, RaRefused."""

    serial: str
    uuid: str
    passcode: str = field(repr=False)
    ra_reader: bool = False
    """The card is in the RA's own reader (two readers), not the holders' one."""


class RaTakeHolderCard(Command):
    """Prove the holder's card in the session; answers RaHolderRead or RaRefused."""

    session_id: str
    serial: str
    uuid: str


class RaClearLock(Command):
    """Clear the holder's lock; answers RaHolderRead or RaRefused."""

    session_id: str


class RaChangeContacts(Command):
    """Record the holder's email and mobile; answers RaHolderRead or RaRefused."""

    session_id: str
    email: str
    mobile: str


class RaAssistedUnlock(Command):
    """Unblock the holder's card with the passcode they typed; answers RaUnlockDone or
    RaRefused."""

    session_id: str
    serial: str
    uuid: str
    new_passcode: str = field(repr=False)
    ra_serial: str = ""
    """Two readers: the RA's card, which must still be in its own reader before the
    holder's card is written."""


class RaLoadReport(Command):
    """Ask the service for the report of the UTC days since..until (ISO dates);
    answers RaReportRead or RaRefused."""

    session_id: str
    since: str
    until: str


class RaSignOut(Command):
    """End the RA's session on the service (answers nothing)."""

    session_id: str
    reason: SignOutReason
