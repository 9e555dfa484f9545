"""Walk-up usability of single screens (issue 12), under Pilot with the screen harness."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.flow import states as s
from kiosk.flow.events import Back, ConfirmCancel
from screens import CancelConfirmationScreen, SessionEndedScreen
from tests.screens.harness import QUESTIONS, ScreenHarness, journey, kiosk_state, screen_text

SIZE = (100, 32)


def questions_state() -> s.KioskState:
    return kiosk_state(s.Questions(questions=QUESTIONS, attempts_left=3), journey=journey())


# -- item 10: the stop dialog -------------------------------------------------------


async def test_enter_never_means_yes_stop() -> None:
    state = dataclasses.replace(questions_state(), overlay=s.CancelConfirmation())
    app = ScreenHarness(state, overlay=CancelConfirmationScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
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
    app = ScreenHarness(state, overlay=CancelConfirmationScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(key, "escape")
        await pilot.pause()
    assert app.intents == [ConfirmCancel(), Back()]


async def test_the_stop_dialog_names_the_journey_being_stopped() -> None:
    registering = kiosk_state(
        s.ContactDetails(approved_domains=("nhs.net",)),
        overlay=s.CancelConfirmation(),
    )
    app = ScreenHarness(registering, overlay=CancelConfirmationScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
    assert "Stop registering?" in text and "stays locked" not in text


async def test_stopping_from_a_menu_does_not_claim_typing_was_cleared() -> None:
    app = ScreenHarness(kiosk_state(s.SessionEnded(reason=s.EndReason.CANCELLED)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.kiosk_screen, SessionEndedScreen)
        text = screen_text(app)
    assert "You stopped." in text
    assert "typed has been cleared" not in text
