"""Hostile input at the screens, through Pilot: huge pastes, escape sequences, key bursts.

A terminal delivers a paste as one Paste event and a fast typist (or a keyboard
wedge, or a cat on the keyboard) as keys with no pause between them. Whatever
arrives: no crash, bounded time, nothing secret and no raw control character on
the terminal, and every field gets exactly the text meant for it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from kiosk.flow import states as s
from kiosk.flow.events import SubmitAnswers, SubmitContactDetails, SubmitNewPasscode
from screens import SecretInput
from tests.badinput.nasty import NASTY_TEXT
from tests.screens.harness import (
    QUESTIONS,
    ScreenHarness,
    journey,
    kiosk_state,
    printed,
    screen_text,
)
from tests.screens.registration_states import DOMAINS, reg_state

SIZE = (100, 32)
SECRET = "Zebra77Q"
PASTE = SECRET * 1_250
"""10 000 characters, every one of them part of a secret."""
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[6n\x1b[?1049l" + SECRET
"""Set the window title, clear the screen, ask for a cursor report, leave the alt screen."""
BOUND = 20.0
"""Seconds any one of these tests may take with the app running."""


def burst(app: ScreenHarness, keys: list[str]) -> None:
    """Queue every key at once, as a terminal does for keys faster than the app.

    Pilot's own press() waits for the app to go idle after each key; here the app
    finds them all waiting, so Enter's priority binding must move focus before the
    next key is handed to a field.
    """
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = {"space": " ", "enter": "\r"}.get(key, key)
        name = key if len(key) > 1 or key.isalnum() else _character_to_key(key)
        event = events.Key(name, char)
        event.set_sender(app)
        driver.send_message(event)


async def settle(pilot: Any, app: ScreenHarness, intents: int) -> None:
    """Wait (bounded) until the app has posted `intents` intents."""
    deadline = time.monotonic() + BOUND
    while len(app.intents) < intents and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()


def questions_state() -> s.KioskState:
    return kiosk_state(s.Questions(questions=QUESTIONS, attempts_left=3), journey=journey())


def code_state() -> s.KioskState:
    from tests.screens.states import REPRESENTATIVE

    return REPRESENTATIVE["code_sent"]


def passcode_state() -> s.KioskState:
    rules = ("Use 6 to 8 digits.",)
    return kiosk_state(s.NewPasscode(rules=rules), journey=journey())


def contact_state() -> s.KioskState:
    return reg_state(s.ContactDetails(approved_domains=DOMAINS))


INJECTED = ("\x1b]0;owned", "\x1b[2J", "\x1b[6n", "\x1b[?1049l", "\x07")
"""The pasted sequences as a terminal would obey them."""


def terminal_output(app: ScreenHarness) -> str:
    """What the app would write to the terminal for the whole screen, escape codes and all."""
    output = printed(app).file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def assert_clean(app: ScreenHarness, *secrets: str) -> None:
    """Nothing secret and no pasted control sequence reached the terminal."""
    shown = screen_text(app)
    shot = app.export_screenshot()
    raw = terminal_output(app)
    for text in (shown, shot, raw):
        for secret in secrets:
            assert secret not in text
    assert not any(ch in shown for ch in "\x1b\x07\x00\x08")
    assert not any(sequence in raw for sequence in INJECTED)


@pytest.mark.parametrize(
    "state", [questions_state(), code_state(), passcode_state()], ids=["answers", "code", "new"]
)
async def test_a_10k_paste_into_a_secret_field_is_kept_masked_and_fast(
    state: s.KioskState,
) -> None:
    started = time.monotonic()
    app = ScreenHarness(state)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = app.focused
        assert isinstance(field, SecretInput)
        app.post_message(events.Paste(PASTE))
        await pilot.pause()
        assert len(field.value) in (len(PASTE), field.max_length)
        assert_clean(app, SECRET)
        # The cursor moves through it, and the field still takes keys.
        await pilot.press("home", "end", "backspace", "x")
        await pilot.pause()
        assert field.value.endswith("x")
        assert_clean(app, SECRET)
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("name", ["escape_csi", "escape_osc_title", "crlf", "nul", "zalgo"])
async def test_pasted_control_sequences_never_reach_the_terminal(name: str) -> None:
    app = ScreenHarness(questions_state())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(events.Paste(NASTY_TEXT[name] + ESCAPES))
        await pilot.pause()
        await pilot.press("enter")
        app.post_message(events.Paste(ESCAPES))
        await pilot.pause()
        assert_clean(app, SECRET)


async def test_control_sequences_in_a_visible_field_are_not_written_raw() -> None:
    # The email field is not masked: what is typed is shown, so it is the place an
    # escape sequence could reach the terminal as itself.
    app = ScreenHarness(contact_state())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Input)
        app.post_message(events.Paste(ESCAPES + "@nhs.net"))
        await pilot.pause()
        assert_clean(app)
        app.post_message(events.Paste(NASTY_TEXT["paste_10k_escapes"]))
        await pilot.pause()
        assert_clean(app)


async def test_a_burst_of_keys_across_the_answer_fields_lands_field_by_field() -> None:
    # One press() call: every key queued before the app handles the first. Enter is
    # a priority binding, so the keys after it must land in the next field.
    typed = {
        "q1": "zq8 grammar",
        "q2": "caf\u00e9 stra\u00dfe",
        "q3": "\u05e9\u05dc\u05d5\u05dd town",
        "q4": "my first car 1999",
    }
    keys: list[str] = []
    for value in typed.values():
        keys.extend("space" if ch == " " else ch for ch in value)
        keys.append("enter")
    started = time.monotonic()
    app = ScreenHarness(questions_state())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, keys)
        await settle(pilot, app, 1)
        assert_clean(app, *typed.values())
    assert app.intents == [SubmitAnswers(answers=typed)]
    assert time.monotonic() - started < BOUND


async def test_a_burst_of_3000_keys_then_enter_keeps_every_key() -> None:
    # 3 000, not 10 000: each key costs time in proportion to the field's length
    # (about 1.5 ms a key at 4 000 characters), so 10 000 queued keys take ~23 s;
    # the 10 000-character case is the paste above.
    keys = [str(n % 10) for n in range(3_000)]
    started = time.monotonic()
    app = ScreenHarness(passcode_state())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, [*keys, "enter", "5", "8", "3", "9", "2", "0", "enter"])
        await settle(pilot, app, 1)
        assert_clean(app, "".join(keys)[:12])
    assert app.intents == [SubmitNewPasscode(new="".join(keys), repeat="583920")]
    assert time.monotonic() - started < BOUND


async def test_a_burst_across_the_contact_fields_lands_field_by_field() -> None:
    email, mobile = "sam.taylor@dwp.gov.uk", "07700 900123"
    keys = ["space" if ch == " " else ch for ch in email] + ["enter"]
    keys += ["space" if ch == " " else ch for ch in mobile] + ["enter"]
    app = ScreenHarness(contact_state())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, keys)
        await settle(pilot, app, 1)
    assert app.intents == [SubmitContactDetails(email=email, mobile=mobile)]
