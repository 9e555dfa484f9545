"""Walk-up usability of single screens (issue 12), under Pilot with the screen harness."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from textual.screen import Screen
from textual.widgets import Input

from kiosk.flow import states as s
from kiosk.flow.events import Back, ConfirmCancel, Help, HelpTopic, SubmitCode
from kiosk.flow.facts import Step
from screens import CancelConfirmationScreen, SessionEndedScreen
from screens.questions import AnswerInput
from screens.widgets import CodeInput, SecretInput
from tests.screens.harness import (
    CARD,
    NOW,
    QUESTIONS,
    journey,
    kiosk_state,
    screen_text,
    shown,
)
from tests.screens.registration_states import reg_state, registration


def questions_state() -> s.KioskState:
    return kiosk_state(s.Questions(questions=QUESTIONS, attempts_left=3), journey=journey())


def answers_state() -> s.KioskState:
    return reg_state(s.RegistrationAnswers(questions=QUESTIONS), journey=registration())


# -- item 10: the stop dialog -------------------------------------------------------


async def test_enter_never_means_yes_stop() -> None:
    state = dataclasses.replace(questions_state(), overlay=s.CancelConfirmation())
    async with shown(state, overlay=CancelConfirmationScreen()) as (app, pilot):
        text = screen_text(app)
        assert "Stop unlocking your card?" in text
        assert "S: Yes, stop" in text and "Esc: No, go back" in text
        await pilot.press("enter")
        await pilot.pause()
        assert ConfirmCancel() not in app.intents, "Enter stopped the journey"
        assert app.intents == [Back()], "Enter goes back to the form"


@pytest.mark.parametrize("key", ["s", "S"])
async def test_s_stops(key: str) -> None:
    state = dataclasses.replace(questions_state(), overlay=s.CancelConfirmation())
    async with shown(state, overlay=CancelConfirmationScreen()) as (app, pilot):
        await pilot.press(key, "escape")
        await pilot.pause()
    assert app.intents == [ConfirmCancel(), Back()]


async def test_the_stop_dialog_names_the_journey_being_stopped() -> None:
    registering = kiosk_state(
        s.ContactDetails(approved_domains=("nhs.net",)),
        overlay=s.CancelConfirmation(),
    )
    async with shown(registering, overlay=CancelConfirmationScreen()) as (app, pilot):
        text = screen_text(app)
    assert "Stop registering?" in text and "stays locked" not in text


async def test_stopping_from_a_menu_does_not_claim_typing_was_cleared() -> None:
    async with shown(kiosk_state(s.SessionEnded(reason=s.EndReason.CANCELLED))) as (app, pilot):
        assert isinstance(app.kiosk_screen, SessionEndedScreen)
        text = screen_text(app)
    assert "You stopped." in text
    assert "typed has been cleared" not in text


@pytest.mark.parametrize("reason", list(s.EndReason))
@pytest.mark.parametrize("typed", [True, False])
async def test_session_ended_says_typing_was_cleared_only_when_there_was_some(
    reason: s.EndReason, typed: bool
) -> None:
    async with shown(kiosk_state(s.SessionEnded(reason=reason, typed=typed))) as (app, pilot):
        text = " ".join(screen_text(app).split())
    assert ("typed has been cleared" in text) is typed, text


# -- item 6: codes shown as typed, answers on request --------------------------------


def code_state() -> s.KioskState:
    screen = s.CodeEntry(
        sent_to="a***@nhs.net",
        sent_at=NOW - dt.timedelta(seconds=40),
        expires_at=NOW + dt.timedelta(minutes=14),
        resend_available_at=None,
        tries_left=3,
    )
    return kiosk_state(screen, journey=journey(Step.CODE))


async def test_a_code_is_shown_as_typed_in_groups_of_four() -> None:
    async with shown(code_state()) as (app, pilot):
        field = app.focused
        assert isinstance(field, CodeInput)
        await pilot.press(*"123456789")  # one digit too many
        await pilot.pause()
        assert field.value == "1234 5678"
        assert "1234 5678" in screen_text(app)
        assert "•" not in screen_text(app)
        # Backspace over the group's space takes the digit before it.
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert field.value == "123"
        await pilot.press(*"4 5", "enter")
        await pilot.pause()
        assert field.value == "1234 5"
    assert app.intents == [SubmitCode(code="1234 5")]


async def test_a_shown_code_is_masked_once_the_cursor_leaves_it_and_cannot_be_copied() -> None:
    async with shown(code_state()) as (app, pilot):
        field = app.focused
        assert isinstance(field, CodeInput)
        await pilot.press(*"24681357", "ctrl+a", "ctrl+c", "ctrl+x")
        await pilot.pause()
        assert app.clipboard == "" and field.value == "2468 1357"
        app.set_focus(None)
        await pilot.pause()
        text = screen_text(app)
        assert "2468" not in text and "1357" not in text and "•••••••••" in text
        # The screen left (another screen over it): the code is nowhere on screen.
        field.focus()
        await pilot.pause()
        await app.push_screen(Screen())
        await pilot.pause()
        assert "2468" not in screen_text(app) and "2468" not in app.export_screenshot()


@pytest.mark.parametrize("state", [questions_state(), answers_state()], ids=["unlock", "register"])
async def test_f8_shows_what_was_typed_in_the_field_with_the_cursor_only(
    state: s.KioskState,
) -> None:
    async with shown(state) as (app, pilot):
        assert "F8  Show what I typed" in screen_text(app)
        await pilot.press(*"Biscuit")
        await pilot.pause()
        assert "Biscuit" not in screen_text(app)
        await pilot.press("f8")
        await pilot.pause()
        text = screen_text(app)
        assert "Biscuit" in text and "F8  Hide what I typed" in text
        await pilot.press("enter", *"Leeds")
        await pilot.pause()
        text = screen_text(app)
        assert "Leeds" in text and "Biscuit" not in text, "only the field with the cursor"
        await pilot.press("f8")
        await pilot.pause()
        assert "Leeds" not in screen_text(app)
        await pilot.press("f8")
        await pilot.pause()
        assert "Leeds" in screen_text(app)
        # Leaving the screen masks everything, for good.
        await app.push_screen(Screen())
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert "Leeds" not in screen_text(app)
        assert "F8  Show what I typed" in screen_text(app)
    assert app.intents == []


async def test_f8_does_nothing_on_a_passcode_screen() -> None:
    state = kiosk_state(
        s.NewPasscode(rules=("Use 6 to 8 digits.",)), journey=journey(Step.NEW_PASSCODE)
    )
    async with shown(state) as (app, pilot):
        await pilot.press(*"402917", "f8")
        await pilot.pause()
        assert "402917" not in screen_text(app) and "F8" not in screen_text(app)


# -- items 12 and 5: the cursor after an error; Up and Down ---------------------------


async def test_after_an_error_the_cursor_goes_to_the_first_empty_answer() -> None:
    state = questions_state()
    async with shown(state) as (app, pilot):
        fields = list(app.kiosk_screen.query(AnswerInput))
        fields[1].focus()
        await pilot.press(*"leeds", "enter", *"pizza")
        await pilot.pause()
        assert app.focused is fields[2]
        app.show(
            dataclasses.replace(
                state, screen=dataclasses.replace(state.screen, error="Answer every question.")
            )
        )
        await pilot.pause()
        await pilot.pause()
        assert app.focused is fields[0], "the cursor stayed in Q3 while Q1 is empty"
        assert "Answer every question." in screen_text(app)


async def test_up_and_down_move_between_fields_and_the_footer_says_so() -> None:
    async with shown(questions_state()) as (app, pilot):
        fields = list(app.kiosk_screen.query(AnswerInput))
        assert app.focused is fields[0]
        assert "↑ ↓  Move between fields" in screen_text(app)
        await pilot.press("down", "down")
        assert app.focused is fields[2]
        await pilot.press("up")
        assert app.focused is fields[1]
        await pilot.press("up", "up")
        assert app.focused is fields[0]
    assert app.intents == []


async def test_a_registration_answer_error_is_shown_beside_its_answer_with_the_cursor_there() -> (
    None
):
    state = answers_state()
    async with shown(state, size=(80, 24)) as (app, pilot):
        for _ in range(8):
            await pilot.press(*"Kestrel", "down")
        await pilot.pause()
        problem = "The two copies are not the same."
        errors = (f"Answer 3: {problem}",)
        app.show(
            dataclasses.replace(state, screen=dataclasses.replace(state.screen, errors=errors))
        )
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        fields = list(app.kiosk_screen.query(SecretInput))
        assert app.focused is fields[4], "the cursor is in answer 3"
        text = screen_text(app)
        assert problem in text, "the message is drawn off-screen"
        assert "3. In which town was your mother born?" in text
        assert "Check answer 3" in text or problem in text


async def test_a_contact_details_error_puts_the_cursor_in_the_field_it_is_about() -> None:
    state = kiosk_state(s.ContactDetails(approved_domains=("nhs.net",)))
    async with shown(state) as (app, pilot):
        await pilot.press(*"sam.taylor@nhs.net", "enter", *"0123")
        await pilot.pause()
        email, mobile = app.kiosk_screen.query(Input)
        email.focus()
        errors = ("Type a UK mobile number: 11 digits starting 07.",)
        app.show(
            dataclasses.replace(state, screen=dataclasses.replace(state.screen, errors=errors))
        )
        await pilot.pause()
        await pilot.pause()
        assert app.focused is mobile


# -- item 16 (and 3): keys typed before the cursor is placed --------------------------


async def test_a_key_typed_before_the_cursor_is_placed_goes_into_the_first_empty_field() -> None:
    async with shown(kiosk_state(s.ContactDetails(approved_domains=("nhs.net",)))) as (app, pilot):
        app.set_focus(None)  # as on a screen drawn before its cursor is placed
        await pilot.press(*"sam@nhs.net")
        await pilot.pause()
        email, mobile = app.kiosk_screen.query(Input)
        assert email.value == "sam@nhs.net" and mobile.value == ""
        assert app.focused is email


# -- item 7: F1 is about the screen it was pressed on ---------------------------------


def help_over(back_to: s.Screen, topic: HelpTopic = HelpTopic.CONTACT_RA) -> s.KioskState:
    return kiosk_state(s.HelpPage(topic=topic, back_to=back_to))


@pytest.mark.parametrize(
    ("back_to", "expected"),
    [
        (s.Questions(questions=QUESTIONS, attempts_left=2), ["Forgotten your answers?", "F8"]),
        (code_state().screen, ["No email yet?", "junk", "F7", "newest"]),
        (
            # The one code went by text (national-2023): the help is about texts.
            dataclasses.replace(code_state().screen, sent_to="07*** ***001"),
            ["No text yet?", "signal", "F7", "newest text"],
        ),
        (
            s.RegistrationCodeEntry(
                sent_to="a***@nhs.net", sent_at=NOW, expires_at=NOW, resend_available_at=None
            ),
            ["No email yet?", "junk"],
        ),
        (
            s.ContactDetails(approved_domains=("nhs.net", "gov.uk")),
            ["Which email addresses work", "nhs.net or gov.uk", "shared"],
        ),
        (s.ChooseQuestions(), ["Choosing your security questions", "Space"]),
        (s.RegistrationAnswers(questions=QUESTIONS), ["Choosing your answers", "twice"]),
        (
            s.ServiceUnavailable(
                doing="checking your answers",
                resume_to=s.Questions(questions=QUESTIONS, attempts_left=2),
            ),
            ["Forgotten your answers?"],
        ),
    ],
    ids=[
        "questions",
        "code",
        "texted_code",
        "registration_code",
        "contacts",
        "choose",
        "answers",
        "outage",
    ],  # fmt: skip
)
async def test_f1_help_is_about_the_screen_it_was_opened_on(
    back_to: s.Screen, expected: list[str]
) -> None:
    async with shown(help_over(back_to), size=(100, 40)) as (app, pilot):
        text = screen_text(app)
    for words in expected:
        assert words in text, f"{words!r} not in the help page:\n{text}"
    assert "1 Contact the RA team" in text.replace("  ", " ")


async def test_the_expiring_help_says_what_a_sponsor_is_and_an_expired_card_opens_it() -> None:
    async with shown(help_over(s.WaitingForCard(), HelpTopic.EXPIRING), size=(100, 40)) as (
        app,
        pilot,
    ):
        assert "Your Sponsor is the person" in screen_text(app)
    expired = s.CardStatus(card=CARD, condition=s.CardCondition.EXPIRED, expires_in_days=None)
    async with shown(kiosk_state(expired)) as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
    assert app.intents == [Help(HelpTopic.EXPIRING)]


# -- item 11: the lock message once ----------------------------------------------


async def test_card_just_locked_says_why_once() -> None:
    from kiosk.flow.card_passcode import CARD_NOW_LOCKED
    from kiosk.flow.common import card_status

    status = dataclasses.replace(card_status(CARD, NOW, 90), notice=CARD_NOW_LOCKED)
    async with shown(kiosk_state(status)) as (app, pilot):
        text = " ".join(screen_text(app).split())
        assert text.count("too many times") == 1, text


# -- item 9: code tries, and what a void code means ---------------------------------


async def test_code_tries_are_for_the_unlock_not_for_one_code() -> None:
    now = NOW
    code = s.CodeEntry(
        sent_to="j***@nhs.net",
        sent_at=now,
        expires_at=now + dt.timedelta(minutes=15),
        tries_left=2,
    )
    async with shown(kiosk_state(code, journey=journey(Step.CODE))) as (app, pilot):
        text = " ".join(screen_text(app).split())
        assert "for this code" not in text
        assert "2 tries left to type a code" in text
        assert "A new code does not give you more tries" in text


@pytest.mark.parametrize(
    ("questions_next", "said", "not_said"),
    [
        (True, "answer your security questions again", None),
        (False, "we will email you a new code", "security questions"),
    ],
)
async def test_a_void_code_says_exactly_what_starting_again_means(
    questions_next: bool, said: str, not_said: str | None
) -> None:
    stopped = s.UnlockStopped(reason=s.StopReason.CODE_VOID, questions_next=questions_next)
    async with shown(kiosk_state(stopped)) as (app, pilot):
        text = " ".join(screen_text(app).split())
        assert "typed wrongly 3 times" in text
        assert said in text
        assert not_said is None or not_said not in text


# -- item 4: a card that cannot be unlocked here says so, why, and what to bring -----


async def test_self_service_locked_says_why_and_what_to_take_to_the_ra_team() -> None:
    async with shown(kiosk_state(s.SelfServiceLocked())) as (app, pilot):
        text = " ".join(screen_text(app).split())
    assert "cannot be unlocked at a kiosk" in text
    assert "answered wrongly 3 times" in text, "why"
    assert "Take this card and photo ID to the RA team" in text, "what to take"
    assert "Press Enter to start" not in text
