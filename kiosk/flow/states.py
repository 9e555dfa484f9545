"""States of the flow: what each screen needs to render, and the kiosk around it.

`KioskState` is the whole state: the screen being shown (one of the `Screen`
dataclasses below), an overlay (inactivity warning, cancel confirmation), and the
non-secret context that outlives a screen (the card's facts, the journey's
checkpoint, the clock). The screen to show is implied by the type of `screen`.

No state holds a secret. Typed inputs live in the screens' widgets only, so a
screen that comes back after a service outage still shows what was typed, and
the app clears them when the flow says WipeInputs.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import ClassVar

from kiosk.flow.commands import Command
from kiosk.flow.events import HelpTopic, UnlockStartedReply, UnreadableReason
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, Question
from kiosk.flow.values import FlowValue


class Screen(FlowValue):
    """Base of the screen states."""

    interactive: ClassVar[bool] = True
    """The holder is expected to act here, so the inactivity timer runs."""

    @property
    def busy(self) -> bool:
        """True while waiting on the card or the service (no inactivity timeout)."""
        return False


class SendsToService(FlowValue):
    """Mixed into the screen states whose Enter sends what the holder gave to the service
    (not a `Screen` itself: no screen shows it alone)."""

    sending: bool = field(default=False, kw_only=True)
    """What the holder gave (answers, a code, a choice, contact details) is with the
    service, or the card is proving the holder first: a second Enter sends nothing."""

    @property
    def busy(self) -> bool:
        """True while `sending`."""
        return self.sending


class ChecksPasscode(FlowValue):
    """Mixed into the screen states where a typed passcode goes to the card (and for an
    RA, then to the service): busy while it is checked."""

    checking: bool = field(default=False, kw_only=True)
    """The passcode is with the card (the RA's: then the service): Enter sends nothing."""

    @property
    def busy(self) -> bool:
        """True while `checking`."""
        return self.checking


class LoadsFromService(FlowValue):
    """Mixed into the screen states that open while what they show is fetched from the
    service (the question catalogue, the RA's report): busy until it is there."""

    loading: bool = field(default=True, kw_only=True)
    """What the screen shows is still being fetched."""

    @property
    def busy(self) -> bool:
        """True while `loading`."""
        return self.loading


# ---------------------------------------------------------------- no session


class WaitingForCard(Screen):
    """Insert your card."""

    interactive: ClassVar[bool] = False


class NoReader(Screen):
    """The card reader is not connected."""

    interactive: ClassVar[bool] = False


class NoCardService(Screen):
    """The computer's smartcard service is not running; it is being restarted."""

    interactive: ClassVar[bool] = False


class CardRemovedNotice(Screen):
    """Your card was removed; everything you typed was cleared."""

    interactive: ClassVar[bool] = False
    until: dt.datetime | None
    """When to go back to the waiting screen."""


# ---------------------------------------------------------------- the card


class ReadingCard(Screen):
    """Reading your card."""

    interactive: ClassVar[bool] = False


class CardNotRecognised(Screen):
    """This card cannot be used here."""

    reason: UnreadableReason


class CardCondition(enum.Enum):
    """What the card status screen says about the card."""

    BLOCKED = "blocked"
    WORKING = "working"
    EXPIRED = "expired"


class CardStatus(Screen):
    """Who the card belongs to, and whether its passcode works."""

    card: CardFacts
    condition: CardCondition
    expires_in_days: int | None
    """Days until the card expires, when within the warning period (0 = today)."""
    notice: str | None = None
    """Why the holder is back here (terms declined, card just locked ...)."""
    started: UnlockStartedReply | None = None
    """A blocked card the service already checked when it was read: the unlock it
    opened, which Enter goes on with. None: not checked (the service could not be
    reached), so Enter asks the service then."""

    @property
    def can_unlock(self) -> bool:
        """A blocked card that has not expired can be unlocked here."""
        return self.condition is CardCondition.BLOCKED

    @property
    def can_register(self) -> bool:
        """A working card can register for self-service or change its passcode here."""
        return self.condition is CardCondition.WORKING


# ---------------------------------------------------------------- the unlock journey


class StartingUnlock(Screen):
    """Checking your card with the unlock service."""

    interactive: ClassVar[bool] = False
    first_look: bool = False
    """Checking a blocked card just read, before its first screen: whether it can be
    unlocked here (registered, self-service not locked). Nothing more is asked."""


class Questions(SendsToService, Screen):
    """Answer your security questions."""

    questions: tuple[Question, ...]
    attempts_left: int
    error: str | None = None
    notice: str | None = None


class CodeEntry(SendsToService, Screen):
    """We emailed you a code: type it here (code entry is part of this screen)."""

    sent_to: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    tries_left: int | None = None
    text_sent_to: str | None = None
    """A second code went by text to this (masked) mobile: both codes are typed."""
    not_sent: tuple[str, ...] = ()
    """Of two codes, the channel ("email", "sms") whose message failed: F7 sends it."""
    resend_available_at: dt.datetime | None = None
    """No resend before this time (None: available now)."""
    resends_exhausted: bool = False
    error: str | None = None
    notice: str | None = None

    @property
    def by_text(self) -> bool:
        """The one code went by text (the holder chose it): `sent_to` is a masked mobile.

        A masked email always keeps its "@" (a***@nhs.net); a masked mobile never has one.
        """
        return self.text_sent_to is None and "@" not in self.sent_to


class ChooseChannel(SendsToService, Screen):
    """How should we send your code: email or text?"""

    channels: tuple[tuple[str, str], ...]
    """(channel, masked address), in the service's order."""
    error: str | None = None
    notice: str | None = None
    """After a service or mail outage: nothing was sent, choose again."""


class NewPasscode(Screen):
    """Choose a new passcode, typed twice."""

    rules: tuple[str, ...]
    """The passcode rules in plain language."""
    errors: tuple[str, ...] = ()
    notice: str | None = None


class WriteStage(enum.Enum):
    """How far writing the new passcode has got."""

    STARTING = "starting"
    ASKING_SERVICE = "asking_service"
    WRITING = "writing"


class WritingCard(Screen):
    """Updating your card: do not remove it."""

    interactive: ClassVar[bool] = False
    stage: WriteStage = WriteStage.STARTING


class Unlocked(Screen):
    """Your card is unlocked; take your card."""

    name: str
    at: dt.datetime | None


class StopReason(enum.Enum):
    """Why an unlock stopped part way and must start again."""

    EXPIRED = "expired"
    CODE_VOID = "code_void"
    PROBLEM = "problem"


class UnlockStopped(Screen):
    """The unlock cannot go on; Continue starts a new one with the same card."""

    reason: StopReason
    questions_next: bool = True
    """Starting again asks the security questions before a new code (as this unlock
    did); False where the service mails the code at once."""


class ServiceUnavailable(Screen):
    """The unlock service cannot be reached; retrying in the background.

    Shown over `resume_to`, which comes back when the service answers. Secret
    inputs are not here: they stay in the widgets of the screen underneath.
    """

    doing: str
    """What was in progress, in plain words ("checking your answers")."""
    resume_to: Screen
    retry: Command | None = None
    """A non-secret command to send again by itself (StartUnlock, ResendCode);
    None means probe the service and let the holder send again."""
    attempts: int = 1
    retry_at: dt.datetime | None = None
    """When the next try goes out; None while one is under way."""
    mail: bool = False
    """The service is there but could not send the code (email or text): say that, not
    "unreachable"."""
    typed: bool = False
    """The screen underneath holds what the holder typed for this call (kept there); only
    then does the holder read that it is kept."""
    overloaded: bool = False
    """The service answered that it is too busy just now (503 service_busy, 429): say
    that, not "cannot be reached"; nothing was counted."""
    call_waiting: bool = False
    """The call itself waits out the service's Retry-After and goes again by itself,
    with the same Idempotency-Key: no probe goes, and `retry_at` is only shown."""


class SelfServiceLocked(Screen):
    """Self-service is locked for you: contact the RA team (contacts only)."""

    paused_for: int | None = None
    """Paused after too many wrong codes, not locked: seconds until it lifts by itself."""


class NotRegistered(Screen):
    """You have not registered for self-service: the RA team can unlock the card."""

    card: CardFacts


class EndReason(enum.Enum):
    """Why a session ended with the card still in the reader."""

    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class SessionEnded(Screen):
    """Session ended; take your card (Continue starts again with it)."""

    interactive: ClassVar[bool] = False
    reason: EndReason
    typed: bool = False
    """The session left a screen with fields, or a journey the holder had typed
    into: only then is there typing to say was cleared."""


class HelpPage(Screen):
    """A help page; Back returns to the screen it was opened from."""

    topic: HelpTopic
    back_to: Screen


# ---------------------------------------------------------------- registration


class PasscodeEntry(ChecksPasscode, Screen):
    """Type your card's passcode, to show the card is yours (registration)."""

    tries_left: int | None
    """Passcode tries left before the card locks (None: not known)."""
    error: str | None = None
    notice: str | None = None
    contacts: tuple[str, str] | None = None
    """Email and mobile already given, when the card lost the verified passcode
    before the holder proof: the passcode goes with the registration this time."""

    @property
    def last_try(self) -> bool:
        """One wrong passcode now locks the card: the screen warns plainly."""
        return self.tries_left == 1


class Terms(Screen):
    """Read the terms and conditions of self-service: accept or decline."""

    version: str
    text: str


class ContactDetails(SendsToService, Screen):
    """Your email (on an approved domain) and mobile number."""

    approved_domains: tuple[str, ...]
    errors: tuple[str, ...] = ()
    notice: str | None = None
    given: tuple[str, str] | None = None
    """Email and mobile sent with the registration (to ask for the passcode again
    without retyping them, should the card need it)."""


class ChooseQuestions(LoadsFromService, Screen):
    """Choose 4 different security questions from the catalogue."""

    catalogue: tuple[Question, ...] = ()
    chosen: tuple[str, ...] = ()
    """Ids of the chosen questions, in the order chosen."""
    error: str | None = None
    notice: str | None = None
    from_cache: bool = False


class RegistrationAnswers(SendsToService, Screen):
    """An answer for each chosen question, typed twice."""

    questions: tuple[Question, ...]
    errors: tuple[str, ...] = ()
    notice: str | None = None


class RegistrationCodeEntry(CodeEntry):
    """We emailed you a registration code: type it here."""


class Registered(Screen):
    """You are registered for self-service; take your card."""

    name: str
    policy: str | None = None
    """The deployment's policy (what the screen says a locked card will need)."""


class RegistrationStopped(Screen):
    """The registration cannot go on; Continue goes back to the card's status."""

    reason: StopReason


# ---------------------------------------------------------------- change passcode


class ChangePasscode(Screen):
    """Type your passcode, then a new one twice."""

    rules: tuple[str, ...]
    tries_left: int | None
    errors: tuple[str, ...] = ()
    notice: str | None = None
    changing: bool = False

    @property
    def last_try(self) -> bool:
        """One wrong passcode now locks the card."""
        return self.tries_left == 1

    @property
    def busy(self) -> bool:
        """True while the card changes the passcode."""
        return self.changing


class PasscodeChanged(Screen):
    """Your card has its new passcode; take your card."""

    name: str
    at: dt.datetime | None


# ---------------------------------------------------------------- overlays


@dataclass(frozen=True)
class InactivityWarning:
    """Are you still there? The session ends at `ends_at`."""

    ends_at: dt.datetime
    seconds_left: int


@dataclass(frozen=True)
class CancelConfirmation:
    """Stop and clear everything you typed? (ConfirmCancel or Back)."""


Overlay = InactivityWarning | CancelConfirmation


# ---------------------------------------------------------------- the whole state


@dataclass(frozen=True, kw_only=True)
class KioskState:
    """Everything the flow knows; render `screen`, then `overlay` on top."""

    screen: Screen
    config: FlowConfig = field(default_factory=FlowConfig, repr=False, compare=False)
    now: dt.datetime | None = None
    """Latest time from a Tick or UserActivity (the flow never reads a clock)."""
    card: CardFacts | None = None
    """The card in the reader, once read; None when there is no session."""
    journey: Checkpoint | None = None
    """Progress with the service: mirrors the store's checkpoint."""
    overlay: Overlay | None = None
    last_activity: dt.datetime | None = None
    unwatched: bool = False
    """The card service or reader was lost since the last card insertion, so a card
    reported now may have stayed in all along: it may resume a journey."""

    @classmethod
    def start(
        cls,
        config: FlowConfig | None = None,
        *,
        now: dt.datetime | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> KioskState:
        """The state at app start.

        Args:
            config: The deployment's flow settings.
            now: The time at start.
            checkpoint: What the local store holds; resumed if the same card is
                read while its window is open, cleared otherwise.

        Returns:
            A state on the waiting screen.
        """
        return cls(
            screen=WaitingForCard(),
            config=config or FlowConfig(),
            now=now,
            journey=checkpoint,
            last_activity=now,
        )
