"""Commands out of the flow: data only; the app carries them out.

Secret values travel only here (SendAnswers, SendCode, WriteNewPasscode,
VerifyPasscode, StartRegistration, SendRegistrationAnswers, ConfirmRegistration,
ChangeCardPasscode), kept out of `repr`, and never in a state, a checkpoint or an
audit detail. A passcode goes to the card only, never to the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import field
from typing import ClassVar

from kiosk.flow.events import Call
from kiosk.flow.facts import Checkpoint
from kiosk.flow.values import FlowValue


class Command(FlowValue):
    """Base of every command (for typing and `isinstance` only)."""

    call: ClassVar[Call | None] = None
    """The service call this command makes, named again in ServiceUnreachable."""


class ReadCard(Command):
    """Read the card's facts; answer CardRead or CardUnreadable."""


class StartUnlock(Command):
    """Prove the card and open an unlock.

    The app asks the service for a nonce, has the card MAC it with the card key
    (INTERNAL AUTHENTICATE P2 01) and posts /v1/unlocks. Answers: UnlockStartedReply,
    NotRegisteredReply, SelfServiceLockedReply, CardProofRefused, ServiceUnreachable,
    ServiceRefused.
    """

    call: ClassVar[Call | None] = Call.START_UNLOCK
    serial: str
    uuid: str


class SendAnswers(Command):
    """Post the answers. Secret."""

    call: ClassVar[Call | None] = Call.SEND_ANSWERS
    unlock_id: str
    answers: Mapping[str, str] = field(repr=False)


class SendCode(Command):
    """Post the emailed code. Secret."""

    call: ClassVar[Call | None] = Call.SEND_CODE
    unlock_id: str
    code: str = field(repr=False)
    text_code: str | None = field(default=None, repr=False)


class ChooseChannel(Command):
    """Ask the service to send the code by this channel. Answers AnswersAccepted."""

    call: ClassVar[Call | None] = Call.CHOOSE_CHANNEL
    unlock_id: str
    channel: str


class ResendCode(Command):
    """Ask the service to send a new code. Answers ResendDone or ResendRefused."""

    call: ClassVar[Call | None] = Call.RESEND_CODE
    unlock_id: str


class WriteNewPasscode(Command):
    """Unblock the card with the new passcode. Secret.

    The app does GET CHALLENGE, asks the service for the cryptogram, sends RESET
    RETRY COUNTER with the new passcode, and reports the result to the service,
    posting ChallengeRead and CryptogramReceived as it goes and CardWritten or
    CardWriteFailed (or ServiceUnreachable / ServiceRefused) at the end. The new
    passcode goes to the card only.
    """

    call: ClassVar[Call | None] = Call.WRITE_NEW_PASSCODE
    unlock_id: str
    serial: str
    """The card the unlock is for: the challenge is read only from this card."""
    new_passcode: str = field(repr=False)


class SettlePuk(Command):
    """A PIV card found working after a restart whose checkpoint was at the write:
    the unblock reached the card before the kiosk stopped, and the PUK rotation may
    not have been reported. Leave the card on the PUK the service recorded, report
    the rotation, fill the PUK counter again. Nothing is posted back: the holder's
    screen is the card status either way; a failure leaves the next unblock to settle.
    """

    unlock_id: str
    serial: str


class VerifyPasscode(Command):
    """VERIFY the holder's passcode on the card with this serial. Secret.

    Answers PasscodeVerified, PasscodeWrong, PasscodeBlocked or CardActionFailed.
    The card stays verified until it is reset or taken out, which the holder
    proof of StartRegistration relies on.
    """

    serial: str
    passcode: str = field(repr=False)


class StartRegistration(Command):
    """Prove the holder and open a registration.

    The app asks the service for a nonce, has the card MAC it with the holder key
    (INTERNAL AUTHENTICATE P2 02) in one card session, checking there first that
    the passcode is verified (VERIFYing `passcode` first when one is given), and
    posts /v1/registrations. Answers: RegistrationStartedReply, HolderNotVerified,
    PasscodeWrong, PasscodeBlocked, CardProofRefused, EmailNotApproved,
    MobileRefused, TermsOutdated, ServiceUnreachable, ServiceRefused.
    """

    call: ClassVar[Call | None] = Call.START_REGISTRATION
    serial: str
    uuid: str
    email: str
    mobile: str
    terms_version: str
    passcode: str | None = field(default=None, repr=False)
    """Only after HolderNotVerified: VERIFY again in the same session as the MAC."""


class LoadQuestionCatalogue(Command):
    """Fetch the question catalogue (the cached copy when the service is down).

    Answers CatalogueLoaded, or ServiceUnreachable when there is no cached copy.
    """

    call: ClassVar[Call | None] = Call.LOAD_QUESTION_CATALOGUE


class SendRegistrationAnswers(Command):
    """Put the 4 new answers. Secret."""

    call: ClassVar[Call | None] = Call.SEND_REGISTRATION_ANSWERS
    registration_id: str
    answers: Mapping[str, str] = field(repr=False)


class ConfirmRegistration(Command):
    """Post the emailed registration code. Secret."""

    call: ClassVar[Call | None] = Call.CONFIRM_REGISTRATION
    registration_id: str
    code: str = field(repr=False)


class ResendRegistrationCode(Command):
    """Ask for a new registration code. Answers ResendDone or ResendRefused."""

    call: ClassVar[Call | None] = Call.RESEND_REGISTRATION_CODE
    registration_id: str


class ChangeCardPasscode(Command):
    """CHANGE REFERENCE DATA on the card with this serial. Secret.

    Answers CardPasscodeChanged, PasscodeWrong, PasscodeBlocked or CardActionFailed.
    """

    serial: str
    old: str = field(repr=False)
    new: str = field(repr=False)


class CheckService(Command):
    """Probe the service (GET /v1/health); answers ServiceReachable or ServiceUnreachable."""

    call: ClassVar[Call | None] = Call.CHECK_SERVICE


class QueueResultReport(Command):
    """Put an unlock result for the service in the outbox (it could not be sent live).

    The service only sends the "your card was unlocked" notice once told, so the
    report must survive an outage and a restart.
    """

    unlock_id: str
    outcome: str
    status_word: str


class SaveCheckpoint(Command):
    """Save the journey's progress to the local store (replacing the previous one)."""

    checkpoint: Checkpoint


class ClearCheckpoint(Command):
    """Forget the saved progress."""


class QueueAudit(Command):
    """Put an audit event in the outbox. The detail never holds a secret."""

    type: str
    outcome: str
    at: dt.datetime | None
    serial: str | None = None
    uuid: str | None = None
    detail: Mapping[str, str | int | None] = field(default_factory=dict)


class WipeInputs(Command):
    """Clear every input field on every screen (answers, code, passcodes)."""

    keep: tuple[str, ...] = ()
    """Ids of fields left as typed: the right one of two codes, when only the other
    was wrong (it stays on the screen the holder is on, never saved or sent again
    but with the retyped one)."""
