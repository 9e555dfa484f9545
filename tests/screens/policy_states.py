"""Representative states of the policy screens (docs/api.md "Policies"): the channel
choice and the code screen of a texted code (national-2023), and the code screen with two
codes (two-channel)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk.flow import states as s
from kiosk.flow.code_entry import one_code_wrong_message, owed_message
from kiosk.flow.facts import Step
from tests.screens.harness import NOW, journey, kiosk_state

CHANNELS = (("email", "a***@nhs.net"), ("sms", "07*** ***001"))

_TWO_CODES = s.CodeEntry(
    sent_to="a***@nhs.net",
    sent_at=NOW - dt.timedelta(seconds=40),
    expires_at=NOW + dt.timedelta(minutes=9, seconds=20),
    text_sent_to="07*** ***001",
    tries_left=2,
    resend_available_at=NOW + dt.timedelta(seconds=20),
    error=one_code_wrong_message(("sms",), 2),
)


def policy_states() -> dict[str, s.KioskState]:
    """Snapshot name -> state for the policy screens."""
    code_journey = dataclasses.replace(journey(Step.CODE), text_sent_to="07*** ***001")
    return {
        "choose_channel": kiosk_state(s.ChooseChannel(channels=CHANNELS), journey=journey()),
        "code_sent_two_codes": kiosk_state(_TWO_CODES, journey=code_journey),
        # national-2023, the holder chose a text: the screen speaks of texts only.
        "code_sent_by_text": kiosk_state(
            dataclasses.replace(
                _TWO_CODES, sent_to="07*** ***001", text_sent_to=None, error=None, tries_left=None
            ),
            journey=journey(Step.CODE),
        ),
        "code_sent_text_owed": kiosk_state(
            dataclasses.replace(
                _TWO_CODES, error=None, not_sent=("sms",), notice=owed_message(("sms",))
            ),
            journey=code_journey,
        ),
    }
