"""Before any card is read, the screens say what unlocking takes under the deployment's
policy, as the service last said it (`GET /v1/policy`, `KioskApp.policy`): whether a
holder registers first, and where the codes go. A kiosk that was never told speaks of
the default policy (`questions`)."""

from __future__ import annotations

import pytest

from contract.wire import PolicyOut
from kiosk.flow import states as s
from kiosk.flow.events import HelpTopic, RegisterRequested
from tests.screens.harness import CARD, ScreenHarness, kiosk_state, screen_text

REGISTER = "you can register for self-service here"
NO_REGISTRATION = "You do not need to register first"

POLICIES = {
    "never told": None,
    "questions": PolicyOut(policy="questions", registration_needed=True),
    "national-2023": PolicyOut(policy="national-2023", registration_needed=False),
    "national-2023 without texts": PolicyOut(
        policy="national-2023", registration_needed=False, texts=False
    ),
    "two-channel": PolicyOut(policy="two-channel", registration_needed=False),
    "two-channel with questions": PolicyOut(policy="two-channel", registration_needed=True),
}


async def _words(state: s.KioskState, policy: PolicyOut | None) -> str:
    app = ScreenHarness(state)
    app.policy = policy  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 48)) as pilot:
        await pilot.pause()
        return " ".join(screen_text(app).split())


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
async def test_the_waiting_screen_says_whether_to_register(policy: PolicyOut | None) -> None:
    words = await _words(kiosk_state(s.WaitingForCard(), card=None), policy)
    if policy is None or policy.registration_needed:
        assert REGISTER in words and NO_REGISTRATION not in words
    else:
        assert NO_REGISTRATION in words and REGISTER not in words
        assert "contact details your organisation holds for you" in words


FORGOTTEN = {
    "never told": (None, "we email you a code"),
    "questions": (POLICIES["questions"], "we email you a code"),
    "national-2023": (
        POLICIES["national-2023"],
        "we send a code to the email address or mobile phone number your organisation holds",
    ),
    "national-2023 without texts": (
        POLICIES["national-2023 without texts"],
        "we email a code to the address your organisation holds for you",
    ),
    "two-channel": (
        POLICIES["two-channel"],
        "one code to the email address and another to the mobile phone number",
    ),
    "two-channel with questions": (
        POLICIES["two-channel with questions"],
        "you answer the security questions you chose, we send one code to your email and "
        "another to your mobile phone",
    ),
}


@pytest.mark.parametrize(("policy", "said"), FORGOTTEN.values(), ids=FORGOTTEN.keys())
async def test_the_forgotten_passcode_help_says_what_unlocking_takes(
    policy: PolicyOut | None, said: str
) -> None:
    page = s.HelpPage(topic=HelpTopic.FORGOTTEN_PASSCODE, back_to=s.WaitingForCard())
    words = await _words(kiosk_state(page, card=None), policy)
    assert said in words
    needed = policy is None or policy.registration_needed
    assert ("Who can use it: anyone who registered" in words) is needed
    assert (NO_REGISTRATION in words) is not needed


async def test_the_locked_card_help_speaks_of_the_policy_too() -> None:
    locked = s.CardStatus(card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None)
    page = s.HelpPage(topic=HelpTopic.CONTACT_RA, back_to=locked)
    national = await _words(kiosk_state(page), POLICIES["national-2023"])
    assert "Unlocking your card here" in national
    assert FORGOTTEN["national-2023"][1] in national
    assert "security questions" not in national
    default = await _words(kiosk_state(page), None)
    assert "you answer the security questions you chose when you registered" in default


@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
async def test_a_working_card_is_offered_registration_only_where_unlocking_needs_it(
    policy: PolicyOut | None,
) -> None:
    working = s.CardStatus(card=CARD, condition=s.CardCondition.WORKING, expires_in_days=None)
    app = ScreenHarness(kiosk_state(working))
    app.policy = policy  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 48)) as pilot:
        await pilot.pause()
        words = " ".join(screen_text(app).split())
        await pilot.press("1")
        await pilot.pause()
    needed = policy is None or policy.registration_needed
    assert ("Register for self-service" in words) is needed
    assert [type(i) for i in app.intents] == ([RegisterRequested] if needed else [])
    assert "Change your passcode" in words


NOT_REGISTERED = {
    "never told": (None, "You have not registered for self-service", "registered for"),
    "questions": (POLICIES["questions"], "You have not registered", "registered for"),
    "national-2023": (
        POLICIES["national-2023"],
        "Your contact details are not on record",
        "neither is on record for you",
    ),
    "national-2023 without texts": (
        POLICIES["national-2023 without texts"],
        "Your contact details are not on record",
        "we email a code to the address your organisation holds for you, and there is none",
    ),
    "two-channel": (
        POLICIES["two-channel"],
        "Your contact details are not on record",
        "your record does not have both",
    ),
    "two-channel with questions": (
        POLICIES["two-channel with questions"],
        "You have not registered",
        "registered for",
    ),
}


@pytest.mark.parametrize(
    ("policy", "heading", "why"), NOT_REGISTERED.values(), ids=NOT_REGISTERED.keys()
)
async def test_a_card_that_cannot_be_unlocked_here_is_told_why_under_the_policy(
    policy: PolicyOut | None, heading: str, why: str
) -> None:
    words = await _words(kiosk_state(s.NotRegistered(card=CARD)), policy)
    assert heading in words and why in words and CARD.name in words
    needed = policy is None or policy.registration_needed
    assert ("register next time" in words) is needed


async def test_without_texts_no_screen_before_a_card_speaks_of_texts() -> None:
    email_only = POLICIES["national-2023 without texts"]
    locked = s.CardStatus(card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None)
    for state in (
        kiosk_state(s.WaitingForCard(), card=None),
        kiosk_state(s.HelpPage(topic=HelpTopic.FORGOTTEN_PASSCODE, back_to=s.WaitingForCard())),
        kiosk_state(s.HelpPage(topic=HelpTopic.CONTACT_RA, back_to=locked)),
        kiosk_state(s.NotRegistered(card=CARD)),
    ):
        words = await _words(state, email_only)
        assert not any(p in words for p in ("text message", "by text", "mobile")), words
