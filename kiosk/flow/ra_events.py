"""The RA desk's events and commands (issue 17), beside `events` and `commands`.

The RA's passcode and the holder's new passcode travel in the commands that take
them to a card (`RaSignIn`, `RaAssistedUnlock`) and nowhere else: `repr=False`, never
in an event, a state or an audit record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kiosk.flow.commands import Command
from kiosk.flow.events import Event
from kiosk.flow.facts import CardFacts
from kiosk.flow.ra_states import RaHolderView, RaReportView, RaSession

SignOutReason = Literal["card_removed", "signed_out", "idle"]

# -- the RA's intents ------------------------------------------------------------------


@dataclass(frozen=True)
class RaSignInRequested(Event):
    """On a working card's status screen at an RA desk: sign in as an RA."""


@dataclass(frozen=True)
class RaSignOutRequested(Event):
    """The RA signs out (the card is kept)."""


@dataclass(frozen=True)
class RaClearLockRequested(Event):
    """Clear the holder's self-service lock."""


@dataclass(frozen=True)
class RaUnlockRequested(Event):
    """Start an assisted unlock of the holder's blocked card."""


@dataclass(frozen=True)
class RaContactsRequested(Event):
    """Record or correct the holder's email and mobile."""


@dataclass(frozen=True)
class RaReportRequested(Event):
    """An RA manager asks for the report."""


@dataclass(frozen=True)
class RaReportPeriodChosen(Event):
    """On the report: the last `days` UTC days, today included (7, 30 or 90)."""

    days: int


@dataclass(frozen=True)
class RaReportDatesRequested(Event):
    """On the report: type the first and the last day of the period."""


@dataclass(frozen=True)
class SubmitReportDates(Event):
    """The first and the last day as typed (checked by the flow, not the screen)."""

    since: str
    until: str


# -- the RA's own reader (two readers) ----------------------------------------------------


@dataclass(frozen=True)
class RaCardInserted(Event):
    """A card went into the RA's own reader."""


@dataclass(frozen=True)
class RaCardRemoved(Event):
    """The card left the RA's own reader."""


@dataclass(frozen=True)
class RaCardRead(Event):
    """The card in the RA's own reader."""

    card: CardFacts


# -- answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RaSignedIn(Event):
    """The service opened the RA's session."""

    session: RaSession


@dataclass(frozen=True)
class RaHolderRead(Event):
    """The holder's state, after the card was proved or an action was taken."""

    view: RaHolderView
    notice: str | None = None


@dataclass(frozen=True)
class RaUnlockDone(Event):
    """The holder's card took the new passcode; the service recorded it."""

    view: RaHolderView


@dataclass(frozen=True)
class RaReportRead(Event):
    """The service's report."""

    report: RaReportView


@dataclass(frozen=True)
class RaRefused(Event):
    """The service or the card said no; `message` is plain words for the screen."""

    message: str
    code: str = ""
    """The service's problem code (`ra_session_ended` ends the session), or ""."""


# -- commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class RaReadRaCard(Command):
    """Read the card in the RA's own reader; answers RaCardRead or RaRefused."""


@dataclass(frozen=True)
class RaSignIn(Command):
    """VERIFY the RA's passcode on their card, prove it, open the session. Answers:
    RaSignedIn, PasscodeWrong, PasscodeBlocked, RaRefused."""

    serial: str
    uuid: str
    passcode: str = field(repr=False)
    ra_reader: bool = False
    """The card is in the RA's own reader (two readers), not the holders' one."""


@dataclass(frozen=True)
class RaTakeHolderCard(Command):
    """Prove the holder's card in the session; answers RaHolderRead or RaRefused."""

    session_id: str
    serial: str
    uuid: str


@dataclass(frozen=True)
class RaClearLock(Command):
    """Clear the holder's lock; answers RaHolderRead or RaRefused."""

    session_id: str


@dataclass(frozen=True)
class RaChangeContacts(Command):
    """Record the holder's email and mobile; answers RaHolderRead or RaRefused."""

    session_id: str
    email: str
    mobile: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RaLoadReport(Command):
    """Ask the service for the report of the UTC days since..until (ISO dates);
    answers RaReportRead or RaRefused."""

    session_id: str
    since: str
    until: str


@dataclass(frozen=True)
class RaSignOut(Command):
    """End the RA's session on the service (answers nothing)."""

    session_id: str
    reason: SignOutReason
