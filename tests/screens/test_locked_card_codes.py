"""A locked card's first screen says where the code(s) will go, as the service said
when the card was read: by email; by email or text, as the holder chooses (policy
national-2023); or one by email and one by text, both needed (policy two-channel).
A holder who needs their phone learns it before they start, not at the code screen.
The registered screen says the same of a card that locks later, as the service named
its policy when the registration was confirmed."""

from __future__ import annotations

import datetime as dt

import pytest

from contract.wire import PolicyOut
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.screens.harness import CARD, ScreenHarness, kiosk_state, screen_text

EXPIRES = dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.UTC)


def _reply(step: e.NextStep, policy: str, **more: object) -> e.UnlockStartedReply:
    return e.UnlockStartedReply(
        unlock_id="u1", next=step, expires_at=EXPIRES, policy=policy, **more
    )


CASES = {
    "service not reached": (None, "email you a code, so have your email ready"),
    "questions": (
        _reply(e.NextStep.ANSWERS, "questions"),
        "email you a code, so have your email ready",
    ),
    "national-2023, a choice": (
        _reply(
            e.NextStep.CHANNEL,
            "national-2023",
            channels=(("email", "a***@nhs.net"), ("sms", "07*** ***001")),
        ),
        "by email or by text message, as you choose, so have your email or your phone ready",
    ),
    "two-channel": (
        _reply(e.NextStep.ANSWERS, "two-channel"),
        "one code to your email and another to your mobile phone, and you need both",
    ),
}


@pytest.mark.parametrize(("started", "said"), CASES.values(), ids=CASES.keys())
async def test_the_locked_card_says_where_the_code_will_go(
    started: e.UnlockStartedReply | None, said: str
) -> None:
    status = s.CardStatus(
        card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None, started=started
    )
    app = ScreenHarness(kiosk_state(status))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        words = " ".join(screen_text(app).split())
    assert said in words
    assert "Press Enter to start." in words
    if started is not None and started.policy != "questions":
        assert "We will email you a code" not in words


REGISTERED = {
    "service did not say": (None, "answer your security questions. We will email you a code"),
    "questions": ("questions", "answer your security questions. We will email you a code"),
    "national-2023": ("national-2023", "We will send you a code by email or by text message"),
    "two-channel": (
        "two-channel",
        "answer your security questions. We will send one code to your email and another to "
        "your mobile phone, and you need both",
    ),
}


@pytest.mark.parametrize(("policy", "said"), REGISTERED.values(), ids=REGISTERED.keys())
async def test_the_registered_screen_says_what_unlocking_a_locked_card_will_take(
    policy: str | None, said: str
) -> None:
    words = await _registered_words(policy, told=None)
    assert said in words
    assert CARD.name in words
    if policy not in (None, "questions"):
        assert "We will email you a code" not in words


TOLD = {
    # (the confirm reply's policy, what GET /v1/policy said) -> said, not said
    "two-channel without questions": (
        "two-channel",
        PolicyOut(policy="two-channel", registration_needed=False),
        "put it into a self-service kiosk. We will send one code to your email",
        "security questions",
    ),
    "national-2023 without texts": (
        "national-2023",
        PolicyOut(policy="national-2023", registration_needed=False, texts=False),
        "put it into a self-service kiosk. We will email you a code to unlock it.",
        "text message",
    ),
    "a reply that names no policy": (
        None,
        PolicyOut(policy="national-2023", registration_needed=False),
        "We will send you a code by email or by text message",
        "security questions",
    ),
}


@pytest.mark.parametrize(("policy", "told", "said", "unsaid"), TOLD.values(), ids=TOLD.keys())
async def test_the_registered_screen_uses_what_the_kiosk_was_told_of_the_policy(
    policy: str | None, told: PolicyOut, said: str, unsaid: str
) -> None:
    words = await _registered_words(policy, told)
    assert said in words and unsaid not in words


async def _registered_words(policy: str | None, told: PolicyOut | None) -> str:
    app = ScreenHarness(kiosk_state(s.Registered(name=CARD.name, policy=policy)))
    app.policy = told  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        return " ".join(screen_text(app).split())
