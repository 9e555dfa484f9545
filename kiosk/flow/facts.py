"""Plain facts the flow works with: the card in the reader, questions, the journey.

None of these holds a secret. The flow keeps only what is safe to keep on screen
and on disk: the card's public data, the service's ids, counts and times.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contract.contacts import APPROVED_DOMAINS_DEFAULT
from kiosk.passcode_rules import PasscodeRules


class PinState(enum.Enum):
    """What the card says about its passcode (mirrors card.apdu.PinState)."""

    WORKING = "working"
    VERIFIED = "verified"
    BLOCKED = "blocked"


#: A PIV card's serial is its 16-byte GUID, 32 hex digits (docs/api.md, Conventions);
#: an own-applet card's is 8 bytes, 16 hex digits.
PIV_SERIAL_LENGTH = 32


@dataclass(frozen=True)
class CardFacts:
    """What the kiosk read from the card in the reader.

    The flow defines its own small type rather than importing the card layer, so
    it stays independent of it; the app maps `card.apdu.CardInfo` and `PinStatus`
    onto this.
    """

    serial: str
    """Card serial as 16 lower-case hex digits, as on the wire."""
    uuid: str
    """Holder UUID, 12 decimal digits."""
    name: str
    """Holder name as printed on the card."""
    expiry: dt.date
    """Last day the card is valid."""
    pin: PinState
    """Whether the passcode works or is blocked."""
    tries_left: int | None = None
    """Passcode tries left before the card blocks (None when unknown or verified)."""


@dataclass(frozen=True)
class Question:
    """One security question as the service sent it (catalogue text, not secret)."""

    id: str
    text: str


class Journey(enum.Enum):
    """Which journey a checkpoint belongs to."""

    UNLOCK = "unlock"
    REGISTRATION = "registration"


class Step(enum.Enum):
    """The step of a journey a checkpoint can resume at.

    A registration uses QUESTIONS (choosing and answering the questions) and CODE.
    """

    QUESTIONS = "questions"
    CODE = "code"
    NEW_PASSCODE = "new_passcode"


@dataclass(frozen=True)
class Checkpoint:
    """The non-secret progress of a journey with the service.

    This is both what the flow remembers between steps and what the app saves to
    the local store, so a restart with the same card resumes at the same step.
    Never a passcode, answer, code or cryptogram: only ids, counts, masked
    addresses and times.
    """

    journey: Journey
    step: Step
    serial: str
    """Serial of the card the journey is for; resume only with this card."""
    service_id: str
    """The service's unlock id or registration id."""
    started_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime
    """When the service's window for this step closes; no resume after it."""
    attempts_left: int | None = None
    """Answer attempts left before self-service locks."""
    tries_left: int | None = None
    """Code tries left before the code is void."""
    code_sent_to: str | None = None
    """Masked address the code went to, as the service showed it (j***@nhs.net)."""
    code_sent_at: dt.datetime | None = None
    code_expires_at: dt.datetime | None = None
    text_sent_to: str | None = None
    """Masked mobile a second code went to (policy two-channel): both are asked for."""
    not_sent: tuple[str, ...] = ()
    """Of two codes, the channels ("email", "sms") whose message did not go: owed."""
    questions: tuple[Question, ...] = ()
    """The questions asked (ids and catalogue text), to show them again on resume."""

    def to_record(self) -> dict[str, Any]:
        """The checkpoint as a flat record of JSON-friendly values, for the store."""

        def iso(value: dt.datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "journey": self.journey.value,
            "step": self.step.value,
            "serial": self.serial,
            "service_id": self.service_id,
            "started_at": iso(self.started_at),
            "updated_at": iso(self.updated_at),
            "expires_at": iso(self.expires_at),
            "attempts_left": self.attempts_left,
            "tries_left": self.tries_left,
            "code_sent_to": self.code_sent_to,
            "code_sent_at": iso(self.code_sent_at),
            "code_expires_at": iso(self.code_expires_at),
            "text_sent_to": self.text_sent_to,
            "not_sent": ",".join(self.not_sent),
            "questions": [{"id": q.id, "text": q.text} for q in self.questions],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Checkpoint:
        """Rebuild a checkpoint from `to_record` output.

        Raises:
            ValueError: The record is not a checkpoint this version understands
                (the caller treats that as "nothing to resume").
        """

        def when(key: str) -> dt.datetime | None:
            value = record.get(key)
            return None if value is None else dt.datetime.fromisoformat(str(value))

        try:
            started, updated, expires = when("started_at"), when("updated_at"), when("expires_at")
            if started is None or updated is None or expires is None:
                raise ValueError("checkpoint without its times")
            return cls(
                journey=Journey(record["journey"]),
                step=Step(record["step"]),
                serial=str(record["serial"]),
                service_id=str(record["service_id"]),
                started_at=started,
                updated_at=updated,
                expires_at=expires,
                attempts_left=record.get("attempts_left"),
                tries_left=record.get("tries_left"),
                code_sent_to=record.get("code_sent_to"),
                code_sent_at=when("code_sent_at"),
                code_expires_at=when("code_expires_at"),
                text_sent_to=record.get("text_sent_to"),
                not_sent=_channels(record.get("not_sent")),
                questions=tuple(
                    Question(id=str(q["id"]), text=str(q["text"]))
                    for q in record.get("questions") or ()
                ),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from exc


def _channels(saved: Any) -> tuple[str, ...]:
    """The owed channels as saved ("email,sms"); only the two channels there are."""
    channels = tuple(part for part in str(saved or "").split(",") if part)
    if any(channel not in ("email", "sms") for channel in channels):
        raise ValueError("not a channel")
    return channels


@dataclass(frozen=True)
class FlowConfig:
    """Deployment choices the flow needs; built from the kiosk settings by the app."""

    passcode_rules: PasscodeRules = field(default_factory=PasscodeRules)
    expiring_warning_days: int = 90
    """Warn on the card status screen when the card expires within this many days."""
    inactivity_timeout: dt.timedelta = dt.timedelta(seconds=90)
    """Quiet time on an interactive screen before the inactivity warning."""
    inactivity_countdown: dt.timedelta = dt.timedelta(seconds=30)
    """How long the warning counts down before the session ends."""
    card_removed_notice: dt.timedelta = dt.timedelta(seconds=5)
    """How long the "card removed" notice shows before the waiting screen."""
    code_lifetime: dt.timedelta = dt.timedelta(minutes=15)
    """Code validity when the service does not say (docs/api.md: 15 minutes)."""
    resend_interval: dt.timedelta = dt.timedelta(seconds=60)
    """Least time between resends (docs/api.md: 1 per 60 seconds)."""
    code_digits: int = 8
    """Digits in an emailed code (docs/api.md: 8)."""
    service_retry_first: dt.timedelta = dt.timedelta(seconds=2)
    """First wait before trying an unreachable service again; doubles each time."""
    service_retry_max: dt.timedelta = dt.timedelta(seconds=30)
    """Longest wait between tries of an unreachable service."""
    approved_email_domains: tuple[str, ...] = APPROVED_DOMAINS_DEFAULT
    """Email domains a holder may register with (subdomains admitted)."""
    terms_version: str = ""
    """Version of the self-service terms shown here (sent with a registration)."""
    terms_text: str = ""
    """The self-service terms and conditions, as plain text."""
    ra_desk: bool = False
    """This kiosk is an RA desk: an RA may sign in here with their own card (issue 17)."""
    ra_reader: bool = False
    """The RA desk has a reader of its own for the RA's card (two readers)."""
