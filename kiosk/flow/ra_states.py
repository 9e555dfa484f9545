"""The RA desk's screen states (issue 17): an RA signed in, a holder's card in the reader.

Like `kiosk.flow.states`, each dataclass is what one screen needs to render and no
state holds a secret: the RA's passcode and the holder's new passcode live in the
screens' fields only. Every RA screen state is an `RaScreen`, so the machine hands
its events to `kiosk.flow.ra_desk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kiosk.flow.facts import CardFacts
from kiosk.flow.states import ChecksPasscode, LoadsFromService, Screen, SendsToService


@dataclass(frozen=True)
class RaSession:
    """The RA's session on the service (no secret: the id is bound to this kiosk)."""

    session_id: str
    ra_name: str
    ra_serial: str
    role: str
    idle_seconds: int


@dataclass(frozen=True)
class RaEvent:
    """One audit record about the holder, as the service keeps it (codes, not words:
    the screen says them in the RA's language)."""

    at: str
    """UTC, to the minute: YYYY-MM-DD HH:MM."""
    type: str
    outcome: str
    kiosk: str | None = None


@dataclass(frozen=True)
class RaHolderView:
    """What the RA sees of the holder whose card is in (from the service)."""

    name: str
    registered: bool
    locked: bool
    failed_attempts: int
    email: str
    mobile: str
    recent: tuple[RaEvent, ...] = ()
    """The newest audit records about the holder, newest first."""


@dataclass(frozen=True)
class RaReportView:
    """The RA manager's report for a period, as the report screen shows it."""

    since: str
    until: str
    days: tuple[str, ...]
    unlocks_per_day: tuple[int, ...]
    """Unlocks (self-service and assisted, every kiosk) on each of `days`."""
    registrations: int
    unlocks_self_service: int
    unlocks_assisted: int
    locks: int
    codes_not_delivered: int
    refusals: tuple[tuple[str, int], ...]
    """(problem code, count), most frequent first."""
    kiosks: tuple[str, ...]
    """One line per kiosk: its name and its figures."""


class RaScreen(Screen):
    """Base of the RA desk's screen states."""


class RaPasscode(ChecksPasscode, RaScreen):
    """RA sign-in: type your own passcode; your card checks it."""

    card: CardFacts
    error: str | None = None
    ra_reader: bool = False
    """The RA's card is in the RA's own reader (two readers)."""
    back_to: Screen | None = None
    """Two readers: the screen to go back to (the holders' reader's, left as it was)."""
    holder_card_in: bool = False
    """Two readers: a card is in the holders' reader (read once the RA is signed in)."""


class RaHome(RaScreen):
    """Signed in: put the holder's card in the reader."""

    session: RaSession
    ra_card_in: bool = False
    """The RA's own card is in the reader (right after sign-in, or put back)."""
    returned: bool = False
    """The RA put their own card back: pulling it now signs out."""
    reading: bool = False
    notice: str | None = None


class RaHolder(RaScreen):
    """The holder's self-service state, and what the RA can do for them."""

    session: RaSession
    holder: CardFacts
    view: RaHolderView | None = None
    """None while the service is asked."""
    notice: str | None = None
    error: str | None = None
    working: bool = False

    @property
    def busy(self) -> bool:
        """True while the service is asked."""
        return self.view is None or self.working


class RaConfirmHolder(RaScreen):
    """Before an assisted unlock: the holder is here and matches the card's photo?"""

    session: RaSession
    holder: CardFacts
    view: RaHolderView


class RaNewPasscode(RaScreen):
    """The holder types a new passcode twice; the RA looks away and never types it."""

    session: RaSession
    holder: CardFacts
    view: RaHolderView
    rules: tuple[str, ...]
    errors: tuple[str, ...] = ()
    writing: bool = False

    @property
    def busy(self) -> bool:
        """True while the card is written."""
        return self.writing


class RaContacts(SendsToService, RaScreen):
    """Record or correct the holder's email and mobile (a notice to old and new)."""

    session: RaSession
    holder: CardFacts
    view: RaHolderView
    approved_domains: tuple[str, ...]
    errors: tuple[str, ...] = ()


class RaReport(LoadsFromService, RaScreen):
    """The RA manager's report for a period the RA chose, with a chart of the unlocks."""

    session: RaSession
    back_to: RaScreen
    since: str
    """The period asked for: UTC days since..until (ISO dates), both included."""
    until: str
    report: RaReportView | None = None
    """The service's figures for since..until; None while it counts or when it refused."""
    error: str | None = None
    choosing_dates: bool = False
    """The from/to date fields are on show (D); the figures wait behind them."""


class RaEnded(RaScreen):
    """The RA session has ended; take the card."""

    interactive: ClassVar[bool] = False
    why: str
