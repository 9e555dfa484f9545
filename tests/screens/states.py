"""One representative kiosk state per screen, for snapshots and for a look by eye."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk.flow import states as s
from kiosk.flow.code_entry import code_wrong_message
from kiosk.flow.events import HelpTopic, UnreadableReason
from kiosk.flow.facts import PinState, Step
from kiosk.passcode_rules import PasscodeRules
from tests.screens.harness import CARD, NOW, QUESTIONS, journey, kiosk_state
from tests.screens.policy_states import policy_states
from tests.screens.ra_states import ra_states
from tests.screens.registration_states import registration_states

_QUESTIONS = s.Questions(questions=QUESTIONS, attempts_left=2, error=None)
_CODE = s.CodeEntry(
    sent_to="a***@nhs.net",
    sent_at=NOW - dt.timedelta(seconds=40),
    expires_at=NOW + dt.timedelta(minutes=14, seconds=20),
    tries_left=2,
    resend_available_at=NOW + dt.timedelta(seconds=20),
    error=code_wrong_message(2),
)
_PASSCODE = s.NewPasscode(
    rules=tuple(PasscodeRules().describe()),
    errors=("Do not use digits in order, like 123456 or 876543.",),
)

REPRESENTATIVE: dict[str, s.KioskState] = {
    "waiting": kiosk_state(s.WaitingForCard(), card=None),
    "no_reader": kiosk_state(s.NoReader(), card=None),
    "card_service_down": kiosk_state(s.NoCardService(), card=None),
    "card_removed": kiosk_state(
        s.CardRemovedNotice(until=NOW + dt.timedelta(seconds=5)), card=None
    ),
    "reading": kiosk_state(s.ReadingCard(), card=None),
    "card_not_recognised": kiosk_state(
        s.CardNotRecognised(reason=UnreadableReason.NOT_OUR_CARD), card=None
    ),
    "card_status_blocked": kiosk_state(
        s.CardStatus(card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None)
    ),
    "card_status_working_expiring": kiosk_state(
        s.CardStatus(
            card=dataclasses.replace(CARD, pin=PinState.WORKING, tries_left=2),
            condition=s.CardCondition.WORKING,
            expires_in_days=30,
        )
    ),
    "card_status_expired": kiosk_state(
        s.CardStatus(
            card=dataclasses.replace(CARD, expiry=dt.date(2026, 10, 1)),
            condition=s.CardCondition.EXPIRED,
            expires_in_days=None,
        )
    ),
    "starting": kiosk_state(s.StartingUnlock()),
    "questions": kiosk_state(_QUESTIONS, journey=journey()),
    "code_sent": kiosk_state(_CODE, journey=journey(Step.CODE)),
    "new_passcode": kiosk_state(_PASSCODE, journey=journey(Step.NEW_PASSCODE)),
    "writing": kiosk_state(
        s.WritingCard(stage=s.WriteStage.ASKING_SERVICE), journey=journey(Step.NEW_PASSCODE)
    ),
    "unlocked": kiosk_state(s.Unlocked(name=CARD.name, at=NOW)),
    "unlock_stopped": kiosk_state(s.UnlockStopped(reason=s.StopReason.CODE_VOID)),
    "service_unavailable_over_code": kiosk_state(
        s.ServiceUnavailable(
            doing="checking your code",
            resume_to=dataclasses.replace(_CODE, error=None),
            attempts=2,
            retry_at=NOW + dt.timedelta(seconds=8),
        ),
        journey=journey(Step.CODE),
    ),
    "self_service_locked": kiosk_state(s.SelfServiceLocked()),
    "self_service_paused": kiosk_state(s.SelfServiceLocked(paused_for=2 * 3600 + 15 * 60)),
    "not_registered": kiosk_state(s.NotRegistered(card=CARD)),
    "session_ended": kiosk_state(s.SessionEnded(reason=s.EndReason.TIMED_OUT, typed=True)),
    "help_forgotten_passcode": kiosk_state(
        s.HelpPage(topic=HelpTopic.FORGOTTEN_PASSCODE, back_to=s.WaitingForCard()), card=None
    ),
    "inactivity_warning": dataclasses.replace(
        kiosk_state(_QUESTIONS, journey=journey()),
        overlay=s.InactivityWarning(ends_at=NOW + dt.timedelta(seconds=25), seconds_left=25),
    ),
    "cancel_confirmation": dataclasses.replace(
        kiosk_state(_PASSCODE, journey=journey(Step.NEW_PASSCODE)),
        overlay=s.CancelConfirmation(),
    ),
}
"""Snapshot name -> state. Overlay states are shown over the screen underneath."""

REPRESENTATIVE.update(registration_states())
REPRESENTATIVE.update(ra_states())
REPRESENTATIVE.update(policy_states())
