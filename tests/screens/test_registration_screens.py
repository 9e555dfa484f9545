"""Pilot tests of the registration and change-passcode screens: keys in, intents out."""

from __future__ import annotations

import dataclasses

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList

from kiosk.flow import states as s
from kiosk.flow.events import (
    AcceptTerms,
    ChangePasscodeRequested,
    Continue,
    DeclineTerms,
    Help,
    HelpTopic,
    RegisterRequested,
    SubmitChosenQuestions,
    SubmitContactDetails,
    SubmitPasscode,
    SubmitPasscodeChange,
    SubmitRegistrationAnswers,
    ToggleQuestion,
)
from screens import (
    SCREENS,
    ChangePasscodeScreen,
    ChooseQuestionsScreen,
    RegistrationAnswersScreen,
    RegistrationCodeSentScreen,
    SecretInput,
    TermsScreen,
)
from tests.screens.harness import CARD, QUESTIONS, screen_text, shown
from tests.screens.registration_states import (
    CATALOGUE,
    DOMAINS,
    TERMS_TEXT,
    WORKING_CARD,
    reg_state,
    registration,
    registration_states,
)

STATES = registration_states()


def test_every_new_state_has_its_screen() -> None:
    assert SCREENS[s.RegistrationCodeEntry] is RegistrationCodeSentScreen
    for state in STATES.values():
        assert type(state.screen) in SCREENS


async def test_working_card_keys_1_and_2_choose_register_or_change() -> None:
    async with shown(STATES["card_status_working_choices"]) as (app, pilot):
        text = screen_text(app)
        assert "Register for self-service" in text and "Change your passcode" in text
        await pilot.press("1", "2", "enter")
        await pilot.pause()
    assert app.intents == [RegisterRequested(), ChangePasscodeRequested()]


async def test_blocked_card_has_no_register_choice() -> None:
    state = reg_state(
        s.CardStatus(card=CARD, condition=s.CardCondition.BLOCKED, expires_in_days=None)
    )
    async with shown(state) as (app, pilot):
        assert "Register for self-service" not in screen_text(app)
        await pilot.press("1", "2")
        await pilot.pause()
    assert app.intents == []


async def test_passcode_entry_sends_the_passcode_and_warns_before_the_last_try() -> None:
    async with shown(STATES["passcode_entry_last_try"]) as (app, pilot):
        text = screen_text(app)
        assert "this is your last try" in text and "1 more passcode try" in text
        await pilot.press(*"905137", "enter")
        await pilot.pause()
        assert "905137" not in screen_text(app)
    assert app.intents == [SubmitPasscode(passcode="905137")]


async def test_passcode_entry_without_warning_when_tries_remain() -> None:
    async with shown(reg_state(s.PasscodeEntry(tries_left=3))) as (app, pilot):
        assert "last try" not in screen_text(app)
        assert "3 more passcode tries" in screen_text(app)


async def test_terms_scroll_by_keyboard_enter_accepts_escape_declines() -> None:
    async with shown(STATES["terms"]) as (app, pilot):
        assert isinstance(app.kiosk_screen, TermsScreen)
        box = app.kiosk_screen.query_one("#terms-box", VerticalScroll)
        assert box.max_scroll_y > 0, "the terms should need scrolling at this size"
        assert "Version 2026-11" in screen_text(app)
        await pilot.press("down", "down")
        await pilot.pause()
        assert box.scroll_y == 2
        await pilot.press("pagedown")
        await pilot.pause()
        assert box.scroll_y > 2
        await pilot.press("end")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y
        assert "Term number 30" in screen_text(app)
        await pilot.press("home", "up")
        await pilot.pause()
        assert box.scroll_y == 0
        await pilot.press("enter", "escape", "f1")
        await pilot.pause()
    assert app.intents == [AcceptTerms(), DeclineTerms(), Help(HelpTopic.TERMS)]


async def test_contact_details_names_the_domains_and_sends_what_was_typed() -> None:
    async with shown(STATES["contact_details_refused"]) as (app, pilot):
        text = screen_text(app)
        assert "nhs.net, gov.uk or mod.uk" in text
        fields = list(app.kiosk_screen.query(Input))
        assert app.focused is fields[0]
        await pilot.press(*"sam@nhs.net", "enter")
        await pilot.pause()
        assert app.focused is fields[1]
        await pilot.press(*"07700 900003", "enter")
        await pilot.pause()
        app.kiosk_screen.wipe()
        await pilot.pause()
        assert [f.value for f in fields] == ["", ""]
    assert app.intents == [SubmitContactDetails(email="sam@nhs.net", mobile="07700 900003")]


async def test_choose_questions_by_keyboard() -> None:
    state = reg_state(s.ChooseQuestions(catalogue=CATALOGUE, loading=False), journey=registration())
    async with shown(state) as (app, pilot):
        assert isinstance(app.kiosk_screen, ChooseQuestionsScreen)
        options = app.kiosk_screen.query_one("#question-list", OptionList)
        assert app.focused is options and options.option_count == 20
        await pilot.press("space", "down", "down", "space", "end", "space", "enter")
        await pilot.pause()
        assert app.intents == [
            ToggleQuestion("q01"),
            ToggleQuestion("q03"),
            ToggleQuestion("q20"),
            SubmitChosenQuestions(),
        ]
        # The flow's choice is shown ticked, the highlight stays where it was.
        app.show(
            dataclasses.replace(
                state, screen=dataclasses.replace(state.screen, chosen=("q01", "q20"))
            )
        )
        await pilot.pause()
        text = screen_text(app)
        assert "Chosen: 2 of 4" in text
        assert options.highlighted == 19
        assert "[✓] Example security question number 20?" in text


async def test_choose_questions_while_loading_shows_a_wait() -> None:
    async with shown(reg_state(s.ChooseQuestions(), journey=registration())) as (app, pilot):
        assert "Getting the questions" in screen_text(app)
        await pilot.press("space")
        await pilot.pause()
    assert app.intents == []


async def test_each_answer_typed_twice_masked_and_sent_together() -> None:
    async with shown(STATES["registration_answers"]) as (app, pilot):
        assert isinstance(app.kiosk_screen, RegistrationAnswersScreen)
        fields = list(app.kiosk_screen.query(SecretInput))
        assert len(fields) == 2 * len(QUESTIONS)
        assert app.focused is fields[0]
        for number in range(len(fields)):
            await pilot.press(*f"Secret Ans {number // 2}", "enter")
            await pilot.pause()
            assert "Secret Ans" not in screen_text(app)
    answers = {q.id: f"Secret Ans {n}" for n, q in enumerate(QUESTIONS)}
    assert app.intents == [SubmitRegistrationAnswers(answers=answers, repeats=answers)]


async def test_registration_code_screen_sends_the_code() -> None:
    async with shown(STATES["registration_code_sent"]) as (app, pilot):
        assert isinstance(app.kiosk_screen, RegistrationCodeSentScreen)
        assert "finishes your registration" in screen_text(app)
        await pilot.press(*"12345678", "enter")
        await pilot.pause()
        assert "12345678" not in screen_text(app)
    assert [type(i).__name__ for i in app.intents] == ["SubmitCode"]


async def test_change_passcode_three_fields_then_sent() -> None:
    async with shown(STATES["change_passcode"]) as (app, pilot):
        assert isinstance(app.kiosk_screen, ChangePasscodeScreen)
        assert "2 more passcode tries" in screen_text(app)
        await pilot.press(*"905137", "enter", *"583920", "enter", *"583920", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "905137" not in text and "583920" not in text
    assert app.intents == [SubmitPasscodeChange(old="905137", new="583920", repeat="583920")]


@pytest.mark.parametrize("name", ["registered", "passcode_changed", "registration_stopped"])
async def test_endings(name: str) -> None:
    async with shown(STATES[name]) as (app, pilot):
        text = screen_text(app)
        assert "Alex Example" in text or "not been registered" in text
        await pilot.press("enter")
        await pilot.pause()
    expected = [Continue()] if name == "registration_stopped" else []
    assert app.intents == expected


async def test_help_from_the_waiting_screen_reaches_every_topic() -> None:
    state = reg_state(s.HelpPage(topic=HelpTopic.CONTACT_RA, back_to=s.WaitingForCard()), card=None)
    async with shown(state) as (app, pilot):
        await pilot.press("2", "3", "4", "5")
        await pilot.pause()
    assert app.intents == [
        Help(HelpTopic.FORGOTTEN_PASSCODE),
        Help(HelpTopic.LOST_OR_STOLEN),
        Help(HelpTopic.EXPIRING),
        Help(HelpTopic.TERMS),
    ]


@pytest.mark.parametrize(
    ("topic", "fragments"),
    [
        (
            HelpTopic.LOST_OR_STOLEN,
            [
                "at once",
                "Example Trust RA team",
                "0113 496 0000",
                "ra.team@example.nhs.net",
                "Monday to Friday",
            ],
        ),
        (HelpTopic.EXPIRING, ["2 years", "Sponsor", "90 days"]),
        (HelpTopic.FORGOTTEN_PASSCODE, ["Self-service unlock", "Who can use it", "registered"]),
        (HelpTopic.TERMS, ["Terms version 2026-11", "Term number 1 of"]),
    ],
)
async def test_help_pages_say_what_the_issue_asks(topic: HelpTopic, fragments: list[str]) -> None:
    state = reg_state(s.HelpPage(topic=topic, back_to=s.WaitingForCard()), card=None)
    async with shown(state, size=(100, 60)) as (app, pilot):
        text = " ".join(screen_text(app).split())
        for fragment in fragments:
            assert fragment in text, (fragment, text)


def test_domains_in_the_states_match_the_default_settings() -> None:
    from kiosk.settings import KioskSettings

    assert tuple(KioskSettings().approved_email_domains) == DOMAINS
    assert WORKING_CARD.pin.value == "working" and TERMS_TEXT
