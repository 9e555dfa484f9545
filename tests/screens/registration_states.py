"""Representative states of the registration and change-passcode screens."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk.flow import states as s
from kiosk.flow.card_passcode import passcode_wrong_message
from kiosk.flow.events import HelpTopic
from kiosk.flow.facts import Checkpoint, FlowConfig, Journey, PinState, Question, Step
from kiosk.passcode_rules import PasscodeRules
from tests.screens.harness import CARD, NOW, QUESTIONS, journey, kiosk_state

WORKING_CARD = dataclasses.replace(CARD, pin=PinState.WORKING, tries_left=3)
TERMS_TEXT = "\n".join(
    f"{n}. Term number {n} of self-service, which the holder reads." for n in range(1, 31)
)
CONFIG = FlowConfig(terms_version="2026-11", terms_text=TERMS_TEXT)
CATALOGUE = tuple(
    Question(f"q{n:02d}", f"Example security question number {n}?") for n in range(1, 21)
)
DOMAINS = ("nhs.net", "gov.uk", "mod.uk")


def registration(step: Step = Step.QUESTIONS) -> Checkpoint:
    """A registration under way with the service."""
    return dataclasses.replace(journey(step), journey=Journey.REGISTRATION, service_id="reg_1")


def reg_state(screen: s.Screen, **changes: object) -> s.KioskState:
    """The kiosk state around a registration screen: a working card, terms in the config."""
    values: dict[str, object] = {"card": WORKING_CARD, "config": CONFIG}
    values.update(changes)
    return kiosk_state(screen, **values)


def registration_states() -> dict[str, s.KioskState]:
    """Snapshot name -> state for every new screen."""
    return {
        "card_status_working_choices": reg_state(
            s.CardStatus(card=WORKING_CARD, condition=s.CardCondition.WORKING, expires_in_days=None)
        ),
        "passcode_entry_last_try": reg_state(
            s.PasscodeEntry(
                tries_left=1,
                error=passcode_wrong_message(1),
            )
        ),
        "terms": reg_state(s.Terms(version="2026-11", text=TERMS_TEXT)),
        "contact_details_refused": reg_state(
            s.ContactDetails(
                approved_domains=DOMAINS,
                errors=(
                    "Use a work email address ending in nhs.net, gov.uk or mod.uk. "
                    "Addresses at gmail.com cannot be used for self-service.",
                ),
            )
        ),
        "choose_questions": reg_state(
            s.ChooseQuestions(catalogue=CATALOGUE, chosen=("q02", "q05"), loading=False),
            journey=registration(),
        ),
        "registration_answers": reg_state(
            s.RegistrationAnswers(
                questions=QUESTIONS,
                errors=(
                    "Answer 2: The two copies are not the same. Type the answer again, twice.",
                ),
            ),
            journey=registration(),
        ),
        "registration_code_sent": reg_state(
            s.RegistrationCodeEntry(
                sent_to="a***@nhs.net",
                sent_at=NOW - dt.timedelta(seconds=40),
                expires_at=NOW + dt.timedelta(minutes=14, seconds=20),
                resend_available_at=NOW + dt.timedelta(seconds=20),
            ),
            journey=registration(Step.CODE),
        ),
        "registered": reg_state(s.Registered(name=CARD.name)),
        "registration_stopped": reg_state(s.RegistrationStopped(reason=s.StopReason.EXPIRED)),
        "change_passcode": reg_state(
            s.ChangePasscode(
                rules=tuple(PasscodeRules().describe()),
                tries_left=2,
                errors=("That passcode is not right. You have 2 tries left.",),
            )
        ),
        "passcode_changed": reg_state(s.PasscodeChanged(name=CARD.name, at=NOW)),
        "help_terms": reg_state(
            s.HelpPage(topic=HelpTopic.TERMS, back_to=s.WaitingForCard()), card=None
        ),
        "help_lost_or_stolen": reg_state(
            s.HelpPage(topic=HelpTopic.LOST_OR_STOLEN, back_to=s.WaitingForCard()), card=None
        ),
    }
