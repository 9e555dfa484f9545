"""Pilot tests of the screens: what the holder types reaches the flow as intents.

Each test shows one screen in the harness app with a state built from the flow's
own dataclasses, drives it with keys, and checks the intents posted and what is
on the terminal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest
from textual.widgets import Input

from kiosk.flow import ra_states
from kiosk.flow import states as s
from kiosk.flow.events import (
    Back,
    ConfirmCancel,
    Continue,
    Help,
    HelpTopic,
    ResendCodeRequested,
    SubmitAnswers,
    SubmitCode,
    SubmitNewPasscode,
)
from kiosk.flow.facts import PinState
from screens import (
    OVERLAYS,
    SCREENS,
    CancelConfirmationScreen,
    CodeSentScreen,
    InactivityWarningScreen,
    NewPasscodeScreen,
    QuestionsScreen,
    SecretInput,
    WaitingForCardScreen,
    screen_key,
)
from tests.screens.harness import (
    CARD,
    NOW,
    QUESTIONS,
    SIZE,
    ScreenHarness,
    journey,
    kiosk_state,
    screen_text,
    shown,
)


def questions_state(**changes: object) -> s.KioskState:
    return kiosk_state(
        s.Questions(questions=QUESTIONS, attempts_left=3, **changes), journey=journey()
    )


def code_state(**changes: object) -> s.KioskState:
    screen = s.CodeEntry(
        sent_to="a***@nhs.net",
        sent_at=NOW - dt.timedelta(seconds=40),
        expires_at=NOW + dt.timedelta(minutes=14, seconds=20),
        resend_available_at=NOW + dt.timedelta(seconds=20),
        **changes,
    )
    return kiosk_state(screen, journey=journey())


def passcode_state(**changes: object) -> s.KioskState:
    rules = ("Use 6 to 8 digits.", "Do not repeat one digit, like 111111.")
    return kiosk_state(s.NewPasscode(rules=rules, **changes), journey=journey())


def secret_fields(app: ScreenHarness) -> list[Input]:
    return list(app.kiosk_screen.query(SecretInput))


# ---------------------------------------------------------------- the mapping


def test_every_screen_state_has_a_screen() -> None:
    screen_states = {
        cls
        for module in (s, ra_states)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, s.Screen) and cls not in (s.Screen, ra_states.RaScreen)
    }
    assert screen_states == set(SCREENS)
    assert set(OVERLAYS) == {s.InactivityWarning, s.CancelConfirmation}
    for state_type, screen_type in SCREENS.items():
        assert screen_type.STATE is state_type


def test_an_outage_is_shown_by_the_screen_it_resumes_to() -> None:
    outage = s.ServiceUnavailable(doing="checking your answers", resume_to=s.Questions((), 3))
    assert screen_key(outage) is s.Questions
    assert screen_key(s.WaitingForCard()) is s.WaitingForCard


# ---------------------------------------------------------------- typing and Enter


async def test_answers_enter_moves_on_then_sends_every_answer() -> None:
    async with shown(questions_state()) as (app, pilot):
        fields = secret_fields(app)
        assert app.focused is fields[0]
        for number in range(1, len(fields) + 1):
            await pilot.press(*f"answer {number}")
            await pilot.press("enter")
            await pilot.pause()
            if number < len(fields):
                assert app.focused is fields[number]
                assert app.intents == []
    assert app.intents == [
        SubmitAnswers(
            answers={"q1": "answer 1", "q2": "answer 2", "q3": "answer 3", "q4": "answer 4"}
        )
    ]


async def test_code_enter_sends_the_code_and_f7_asks_for_a_new_one() -> None:
    async with shown(code_state()) as (app, pilot):
        await pilot.press(*"1234 5678", "enter", "f7")
        await pilot.pause()
    assert app.intents == [SubmitCode(code="1234 5678"), ResendCodeRequested()]


async def test_new_passcode_typed_twice_is_sent_as_typed() -> None:
    async with shown(passcode_state()) as (app, pilot):
        await pilot.press(*"402917", "enter")
        await pilot.pause()
        assert app.intents == []
        await pilot.press(*"402918", "enter")
        await pilot.pause()
    assert app.intents == [SubmitNewPasscode(new="402917", repeat="402918")]


@pytest.mark.parametrize("state", [questions_state(), code_state(), passcode_state()])
async def test_escape_in_a_field_posts_back(state: s.KioskState) -> None:
    async with shown(state) as (app, pilot):
        assert isinstance(app.focused, SecretInput)
        await pilot.press("x", "escape")
        await pilot.pause()
    assert app.intents == [Back()]


async def test_enter_on_a_locked_card_starts_the_unlock_and_f1_asks_for_help() -> None:
    status = s.CardStatus(card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None)
    app = ScreenHarness(kiosk_state(status))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "f1", "escape")
        await pilot.pause()
    assert app.intents == [Continue(), Help(HelpTopic.CONTACT_RA), Back()]


async def test_enter_on_a_working_card_does_nothing_and_f1_explains_expiry() -> None:
    card = dataclasses.replace(CARD, pin=PinState.WORKING, tries_left=2)
    status = s.CardStatus(card=card, condition=s.CardCondition.WORKING, expires_in_days=30)
    app = ScreenHarness(kiosk_state(status))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "f1")
        await pilot.pause()
        assert "2 passcode tries left" in screen_text(app)
    assert app.intents == [Help(HelpTopic.EXPIRING)]


async def test_help_page_number_keys_open_topics_and_escape_goes_back() -> None:
    page = s.HelpPage(topic=HelpTopic.CONTACT_RA, back_to=s.WaitingForCard())
    app = ScreenHarness(kiosk_state(page))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "escape")
        await pilot.pause()
        assert "0113 496 0000" in screen_text(app)
    assert app.intents == [Help(HelpTopic.LOST_OR_STOLEN), Back()]


async def test_waiting_screen_has_help_but_no_back() -> None:
    app = ScreenHarness(kiosk_state(s.WaitingForCard(), card=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "enter", "f1")
        await pilot.pause()
    assert isinstance(app.kiosk_screen, WaitingForCardScreen)
    assert app.intents == [Help(HelpTopic.CONTACT_RA)]


async def test_cancel_confirmation_s_confirms_and_escape_goes_back() -> None:
    state = dataclasses.replace(questions_state(), overlay=s.CancelConfirmation())
    async with shown(state, overlay=CancelConfirmationScreen()) as (app, pilot):
        assert "Stop unlocking your card?" in screen_text(app)
        await pilot.press("s", "escape")
        await pilot.pause()
    assert app.intents == [ConfirmCancel(), Back()]


async def test_inactivity_warning_counts_down_from_the_state_clock() -> None:
    warning = s.InactivityWarning(ends_at=NOW + dt.timedelta(seconds=25), seconds_left=25)
    state = dataclasses.replace(questions_state(), overlay=warning)
    async with shown(state, overlay=InactivityWarningScreen()) as (app, pilot):
        assert "end in 25 seconds" in screen_text(app)
        app.show(dataclasses.replace(state, now=NOW + dt.timedelta(seconds=24)))
        await pilot.pause()
        assert "end in 1 second," in screen_text(app)
        # Keys are activity for the app to report; the overlay itself posts nothing.
        await pilot.press("enter", "escape", "a")
        await pilot.pause()
    assert app.intents == []


async def test_code_countdown_and_resend_availability_follow_the_state_clock() -> None:
    state = code_state()
    async with shown(state) as (app, pilot):
        text = screen_text(app)
        assert "a***@nhs.net at 14:02" in text
        assert "until 14:17: 14 minutes 20 seconds left" in text
        assert "new code in 20 seconds" in text
        app.show(dataclasses.replace(state, now=NOW + dt.timedelta(seconds=21)))
        await pilot.pause()
        text = screen_text(app)
        assert "13 minutes 59 seconds left" in text
        assert "press F7 for a new code" in text


# ---------------------------------------------------------------- wipe and secrecy


@pytest.mark.parametrize(
    ("state", "screen_type"),
    [
        (questions_state(), QuestionsScreen),
        (code_state(), CodeSentScreen),
        (passcode_state(), NewPasscodeScreen),
    ],
)
async def test_wipe_empties_every_field(state: s.KioskState, screen_type: type) -> None:
    async with shown(state) as (app, pilot):
        assert isinstance(app.kiosk_screen, screen_type)
        fields = secret_fields(app)
        for field in fields:
            field.focus()
            await pilot.press(*"secret")
        await pilot.pause()
        # A code field shows and groups what is typed (issue 12): "secr et".
        assert all(field.value.replace(" ", "") == "secret" for field in fields)
        app.kiosk_screen.wipe()
        await pilot.pause()
        assert [field.value for field in fields] == [""] * len(fields)
        assert app.focused is fields[0]


# The code field shows the code while it is typed (issue 12): tests/screens/test_usability.py
# checks that it is masked once the cursor leaves it.
@pytest.mark.parametrize("state", [questions_state(), passcode_state()])
async def test_a_typed_secret_never_reaches_the_terminal(state: s.KioskState) -> None:
    secret = "Zebra77Q"
    async with shown(state) as (app, pilot):
        await pilot.press(*secret)
        await pilot.pause()
        assert app.focused is not None and getattr(app.focused, "value", None) == secret
        assert secret not in screen_text(app)
        await pilot.press("tab")
        await pilot.pause()
        assert secret not in screen_text(app)
        assert secret not in app.export_screenshot()
        assert "••••••••" in screen_text(app)


@pytest.mark.parametrize("state", [questions_state(), code_state(), passcode_state()])
async def test_copy_cut_and_select_take_nothing_from_a_secret_field(
    state: s.KioskState,
) -> None:
    async with shown(state) as (app, pilot):
        field = app.focused
        assert isinstance(field, SecretInput)
        await pilot.press(*"hunter2")
        await pilot.press("shift+home", "ctrl+shift+a", "ctrl+c", "super+c", "ctrl+x")
        await pilot.pause()
        assert app.clipboard == ""
        assert field.value.replace(" ", "") == "hunter2"  # a code field groups it
        assert field.selection.is_empty
        assert field.selected_text == ""
        # Even an attempt to select from code (mouse drag, another widget) collapses.
        field.selection = type(field.selection)(0, 7)
        assert field.selected_text == ""
        field.action_copy()
        assert app.clipboard == ""


async def test_secret_input_stays_masked() -> None:
    async with shown(code_state()) as (app, pilot):
        field = app.kiosk_screen.query_one(SecretInput)
        field.password = False
        assert field.password is True


# ---------------------------------------------------------------- the outage banner


async def test_outage_banner_shows_over_the_fields_and_keeps_what_was_typed() -> None:
    state = questions_state()
    async with shown(state) as (app, pilot):
        await pilot.press(*"first", "enter", *"second")
        outage = s.ServiceUnavailable(
            doing="checking your answers",
            resume_to=dataclasses.replace(state.screen, notice="Send again"),
            retry_at=NOW + dt.timedelta(seconds=4),
        )
        app.show(dataclasses.replace(state, screen=outage))
        await pilot.pause()
        text = " ".join(screen_text(app).replace("█", " ").split())
        assert "The unlock service cannot be reached while checking your answers" in text
        assert "try again by itself in 4 seconds" in text
        assert [f.value for f in secret_fields(app)][:2] == ["first", "second"]
        app.show(state)
        await pilot.pause()
        assert "cannot be reached" not in screen_text(app)
        assert [f.value for f in secret_fields(app)][:2] == ["first", "second"]


@pytest.mark.parametrize("typed", [False, True])
async def test_outage_banner_says_what_to_do_and_never_counts_attempts(typed: bool) -> None:
    # Issue 12 item 15: no "(attempt 6)", what the holder can do (wait, or the RA team,
    # with its contact), and "kept" only when something typed is kept.
    state = questions_state()
    outage = s.ServiceUnavailable(
        doing="checking your answers",
        resume_to=state.screen,
        attempts=5,
        retry_at=NOW + dt.timedelta(seconds=19),
        typed=typed,
    )
    async with shown(dataclasses.replace(state, screen=outage)) as (app, pilot):
        text = " ".join(screen_text(app).replace("█", " ").split())
    assert "(attempt" not in text and "attempt 6" not in text
    assert "try again by itself in 19 seconds" in text
    assert "You can wait here, or press Esc to stop and contact Example Trust RA team" in text
    assert "0113 496 0000" in text.split("press Esc to stop", 1)[1]
    assert ("What you typed is kept" in text) is typed
    assert "everything you typed" not in text.lower()


async def test_busy_banner_is_calm_and_keeps_what_was_typed() -> None:
    # Issue 14 item 3: "busy", not "cannot be reached"; answers stay in their fields.
    state = questions_state()
    async with shown(state) as (app, pilot):
        await pilot.press(*"first", "enter", *"second")
        sending = dataclasses.replace(state.screen, sending=True)
        busy = s.ServiceUnavailable(
            doing="checking your answers",
            resume_to=sending,
            retry_at=NOW + dt.timedelta(seconds=5),
            typed=True,
            overloaded=True,
            call_waiting=True,
        )
        app.show(dataclasses.replace(state, screen=busy))
        await pilot.pause()
        text = " ".join(screen_text(app).replace("█", " ").split())
        assert "The unlock service is busy just now while checking your answers" in text
        assert "Nothing was counted against you" in text
        assert "try again by itself in 5 seconds" in text
        assert "What you typed is kept" in text
        assert "cannot be reached" not in text
        assert [f.value for f in secret_fields(app)][:2] == ["first", "second"]


async def test_new_questions_replace_the_fields_but_the_same_ones_keep_them() -> None:
    state = questions_state()
    async with shown(state) as (app, pilot):
        await pilot.press(*"kept")
        app.show(dataclasses.replace(state, screen=dataclasses.replace(state.screen, error="x")))
        await pilot.pause()
        assert secret_fields(app)[0].value == "kept"
        fewer = dataclasses.replace(state.screen, questions=QUESTIONS[:2])
        app.show(dataclasses.replace(state, screen=fewer))
        await pilot.pause()
        await pilot.pause()
        assert [f.value for f in secret_fields(app)] == ["", ""]


async def test_wipe_of_a_background_screen_clears_it_without_taking_focus() -> None:
    async with shown(passcode_state()) as (app, pilot):
        await pilot.press(*"402917", "enter", *"40")
        passcode = app.kiosk_screen
        help_screen = WaitingForCardScreen()
        app.push_screen(help_screen)
        help_screen.show(kiosk_state(s.WaitingForCard()))
        await pilot.pause()
        passcode.wipe()
        await pilot.pause()
        assert [f.value for f in passcode.query(SecretInput)] == ["", ""]
        assert app.screen is help_screen
        app.pop_screen()
        await pilot.pause()
        await pilot.pause()
        assert app.focused is passcode.query(SecretInput).first()


async def test_paste_from_the_app_clipboard_does_not_reach_a_secret_field() -> None:
    async with shown(code_state()) as (app, pilot):
        app.copy_to_clipboard("99999999")
        await pilot.press("1", "ctrl+v")
        await pilot.pause()
        assert app.kiosk_screen.query_one(SecretInput).value == "1"


async def test_text_from_the_card_and_settings_is_shown_as_is_never_as_markup() -> None:
    card = dataclasses.replace(CARD, name="[red]Sam[/red] O'Brien")
    async with shown(kiosk_state(s.NotRegistered(card=card))) as (app, pilot):
        assert "[red]Sam[/red] O'Brien" in screen_text(app)
