"""Events into the flow: the world (card, reader, service), the holder, and the clock.

Events are plain frozen dataclasses. Secret values (answers, codes, passcodes)
arrive only in the holder's intents and leave only inside commands; their fields
are kept out of `repr` so a logged event never shows them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import field

from kiosk.flow.facts import CardFacts, Question
from kiosk.flow.values import FlowValue


class Call(enum.Enum):
    """Which service call an outcome is about, so a failure can be retried or explained."""

    START_UNLOCK = "start_unlock"
    SEND_ANSWERS = "send_answers"
    SEND_CODE = "send_code"
    CHOOSE_CHANNEL = "choose_channel"
    RESEND_CODE = "resend_code"
    WRITE_NEW_PASSCODE = "write_new_passcode"
    CHECK_SERVICE = "check_service"
    START_REGISTRATION = "start_registration"
    LOAD_QUESTION_CATALOGUE = "load_question_catalogue"
    SEND_REGISTRATION_ANSWERS = "send_registration_answers"
    CONFIRM_REGISTRATION = "confirm_registration"
    RESEND_REGISTRATION_CODE = "resend_registration_code"


class NextStep(enum.Enum):
    """What the service asks for after an unlock starts."""

    ANSWERS = "answers"
    CODE = "code"
    CHANNEL = "channel"
    """The holder chooses email or text for the code (policy national-2023)."""


class UnreadableReason(enum.Enum):
    """Why the kiosk could not read a card."""

    NOT_OUR_CARD = "not_our_card"
    """No unlock applet: another kind of card (a bank card, an old card)."""
    READ_ERROR = "read_error"
    """The card did not answer properly (dirty contacts, inserted the wrong way)."""
    SERVICE_REFUSED = "service_refused"
    """The service did not accept the card's proof (card not known to the directory)."""
    UNBLOCK_REFUSED = "unblock_refused"
    """The card refused the unblocking key the service holds for it (PIV PUK)."""


class Event(FlowValue):
    """Base of every event (for typing and `isinstance` only)."""


# ---------------------------------------------------------------- the clock and the holder


class Tick(Event):
    """The clock: the app sends one about every second."""

    now: dt.datetime


class UserActivity(Event):
    """A key press or mouse event: the holder is still there."""

    now: dt.datetime


class Continue(Event):
    """Enter on a screen with one way forward ("Start", "Continue", "Try again")."""


class SubmitAnswers(Event):
    """The holder's answers, question id -> answer. Secret."""

    answers: Mapping[str, str] = field(repr=False)


class SubmitCode(Event):
    """The emailed code as typed. Secret."""

    code: str = field(repr=False)
    text_code: str | None = field(default=None, repr=False)
    """The texted code, when two were sent (policy two-channel). Secret."""


class ChannelChosen(Event):
    """The holder chose how the code is sent: "email" or "sms"."""

    channel: str


class SubmitNewPasscode(Event):
    """The new passcode typed twice. Secret."""

    new: str = field(repr=False)
    repeat: str = field(repr=False)


class RegisterRequested(Event):
    """On a working card's status screen: register for self-service."""


class ChangePasscodeRequested(Event):
    """On a working card's status screen: change the passcode."""


class SubmitPasscode(Event):
    """The card's current passcode as typed, to prove the holder. Secret."""

    passcode: str = field(repr=False)


class AcceptTerms(Event):
    """The holder accepts the terms and conditions shown."""


class DeclineTerms(Event):
    """The holder declines the terms: no registration."""


class SubmitContactDetails(Event):
    """Email and mobile as typed (personal data, not secret; never audited)."""

    email: str
    mobile: str


class ToggleQuestion(Event):
    """Choose a catalogue question, or unchoose it if chosen."""

    question_id: str


class SubmitChosenQuestions(Event):
    """The holder is done choosing questions (the choice is in the state)."""


class SubmitRegistrationAnswers(Event):
    """New answers, each typed twice: question id -> answer. Secret."""

    answers: Mapping[str, str] = field(repr=False)
    repeats: Mapping[str, str] = field(repr=False)


class SubmitPasscodeChange(Event):
    """The old passcode and the new one typed twice. Secret."""

    old: str = field(repr=False)
    new: str = field(repr=False)
    repeat: str = field(repr=False)


class ResendCodeRequested(Event):
    """The holder asks for a new code."""


class Back(Event):
    """Escape: go back, or on a first step ask to cancel."""


class Cancel(Event):
    """The holder asks to stop; confirmed first when a journey is under way."""


class ConfirmCancel(Event):
    """The holder confirms stopping."""


class Help(Event):
    """The holder asks for a help page."""

    topic: HelpTopic


class HelpTopic(enum.Enum):
    """Help pages (issue 5 fills in their text; the flow only navigates)."""

    CONTACT_RA = "contact_ra"
    FORGOTTEN_PASSCODE = "forgotten_passcode"
    LOST_OR_STOLEN = "lost_or_stolen"
    EXPIRING = "expiring"
    TERMS = "terms"


# ---------------------------------------------------------------- reader and card


class CardServiceLost(Event):
    """pcscd cannot be reached."""


class CardServiceUp(Event):
    """pcscd answers again."""


class ReaderAdded(Event):
    """The kiosk's reader is plugged in."""

    name: str = ""


class ReaderRemoved(Event):
    """The kiosk's reader is gone."""

    name: str = ""


class CardInserted(Event):
    """A card is in the reader (not read yet)."""

    fresh: bool = False
    """Inserted while the kiosk watched, rather than already in when it started (or
    when the card service came back). A fresh insertion never resumes a journey:
    the card was out in between, so the checkpoint is wiped (docs/design.md section 5)."""


class CardRemoved(Event):
    """The card left the reader."""


class CardRead(Event):
    """The answer to ReadCard: the card's public facts and passcode state."""

    card: CardFacts


class CardUnreadable(Event):
    """The answer to ReadCard when the card could not be read."""

    reason: UnreadableReason
    detail: str = ""


class ChallengeRead(Event):
    """Progress of WriteNewPasscode: the card gave a challenge."""


class CryptogramReceived(Event):
    """Progress of WriteNewPasscode: the service answered with the cryptogram."""


class CardWritten(Event):
    """WriteNewPasscode finished: the card took the new passcode (9000)."""

    result_reported: bool = True
    """False when the service could not be told; the flow then queues the report."""


class CardWriteFailed(Event):
    """WriteNewPasscode failed at the card; the passcode was not changed."""

    reason: str
    card_removed: bool = False
    status_word: str | None = None
    final: bool = False
    """The card refused its unblocking key (PIV PUK): never try again here."""


class PasscodeVerified(Event):
    """The card accepted the passcode (VERIFY 9000)."""


class PasscodeWrong(Event):
    """The card refused the passcode (63Cx): `tries_left` before it locks."""

    tries_left: int


class PasscodeBlocked(Event):
    """The card is locked now (6983): too many wrong passcodes."""


class CardPasscodeChanged(Event):
    """CHANGE REFERENCE DATA succeeded: the card has the new passcode."""


class HolderNotVerified(Event):
    """The card forgot the verified passcode before the holder proof (it was reset)."""


class CardActionFailed(Event):
    """A passcode command failed at the card for another reason (not a removal)."""

    reason: str


# ---------------------------------------------------------------- service replies


class UnlockStartedReply(Event):
    """201 from POST /v1/unlocks."""

    unlock_id: str
    next: NextStep
    expires_at: dt.datetime
    questions: tuple[Question, ...] = ()
    attempts_left: int = 3
    code_sent_to: str | None = None
    code_expires_at: dt.datetime | None = None
    """Not in API v1; when absent the flow assumes the code lifetime from now."""
    text_sent_to: str | None = None
    """A second code went by text (policy two-channel): the masked mobile."""
    not_sent: tuple[str, ...] = ()
    """Of two codes, the channel whose message failed while the other went (owed)."""
    channels: tuple[tuple[str, str], ...] = ()
    """(channel, masked address) to choose from, when next is CHANNEL."""
    policy: str = "questions"
    """The deployment's unlock policy ("questions", "national-2023", "two-channel"):
    the locked card's screen says from it where the code(s) will go."""


class AnswersAccepted(Event):
    """200 from answers (or from choosing a channel): the code was sent."""

    code_sent_to: str
    code_expires_at: dt.datetime
    text_sent_to: str | None = None
    """A second code went by text (policy two-channel): the masked mobile."""
    not_sent: tuple[str, ...] = ()
    """Of two codes, the channel whose message failed while the other went (owed)."""


class AnswersWrong(Event):
    """422 answers_wrong."""

    attempts_left: int


class SelfServiceLockedReply(Event):
    """423 self_service_locked, or self_service_paused (too many wrong codes lately)."""

    paused_for: int | None = None
    """Paused, not locked: seconds until self-service lifts by itself."""


class NotRegisteredReply(Event):
    """409 not_registered."""


class CardProofRefused(Event):
    """403 card_proof_invalid: the service does not accept this card."""


class CodeAcceptedReply(Event):
    """200 code_accepted; a fresh window for the card write opens."""

    expires_at: dt.datetime


class CodeWrong(Event):
    """422 code_wrong."""

    tries_left: int
    wrong_codes: tuple[str, ...] = ()
    """With two codes, which were wrong ("email", "sms"); the other was right."""


class CodeVoid(Event):
    """410 code_void: too many wrong codes."""


class CodeExpired(Event):
    """410 code_expired."""


class UnlockExpired(Event):
    """410 unlock_expired or 404 unknown_unlock: the service's window closed."""


class ResendDone(Event):
    """200 from resend: a new code was sent."""

    code_sent_to: str
    code_expires_at: dt.datetime
    not_sent: tuple[str, ...] = ()
    """Of two codes, the channel whose new message failed (its earlier code, if any, works)."""


class ResendRefused(Event):
    """429 too_many_resends."""

    retry_after: int | None = None
    """Seconds until a resend is allowed; None when no more resends are allowed."""


class ServiceReachable(Event):
    """The answer to CheckService: the service answers again."""


class ServiceUnreachable(Event):
    """A call got no usable answer (network, timeout, 5xx, mail_unavailable, 429)."""

    failed: Call
    retry_after: int | None = None
    mail: bool = False
    """The service answered but could not send the email (503 mail_unavailable)."""
    overloaded: bool = False
    """The service answered that it is too busy (service_busy, too_many_requests)."""


class ServiceBusy(Event):
    """The service is too busy to take this call just now (503 service_busy): nothing
    was counted, and the call itself goes again by itself after `retry_after` seconds,
    with the same Idempotency-Key. Its answer (or failure) follows as usual."""

    failed: Call
    retry_after: int


class ServiceRefused(Event):
    """A call got an answer the journey cannot go on from (wrong_step, too_many_attempts ...)."""

    failed: Call
    code: str


class RegistrationStartedReply(Event):
    """201 from POST /v1/registrations."""

    registration_id: str
    expires_at: dt.datetime


class EmailNotApproved(Event):
    """422 email_not_approved, with the domains the service approves."""

    approved_domains: tuple[str, ...] = ()


class MobileRefused(Event):
    """422 mobile_invalid."""


class TermsOutdated(Event):
    """422 terms_outdated: the service has other terms than this kiosk shows."""

    terms_version: str | None = None


class CatalogueLoaded(Event):
    """The answer to LoadQuestionCatalogue (from the service, or the kiosk's cache)."""

    questions: tuple[Question, ...]
    from_cache: bool = False


class RegistrationAnswersRefused(Event):
    """422 answers_invalid on a registration's answers (never counted as a failure)."""

    detail: str = ""


class RegistrationConfirmed(Event):
    """200 registered: the new registration replaced any old one."""

    policy: str | None = None
    """The deployment's policy: how a locked card will be unlocked."""


class RegistrationExpired(Event):
    """410 registration_expired or 404 unknown_registration."""
