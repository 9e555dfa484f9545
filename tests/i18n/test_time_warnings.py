"""WCAG 2.2.1 on the code screen: its expiry is always shown, becomes a warning (bold,
with a bar) two minutes before the end, and asks once to be announced."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from textual.widgets import Static

from kiosk.flow import states as s
from screens.code_sent import HURRY_SECONDS
from screens.wording import plain_words
from tests.screens.harness import ScreenHarness
from tests.screens.states import REPRESENTATIVE


async def test_the_code_expiry_warns_and_asks_once_to_be_heard() -> None:
    state = REPRESENTATIVE["code_sent"]
    code = state.screen
    assert isinstance(code, s.CodeEntry)
    app = ScreenHarness(state)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.kiosk_screen
        expiry = screen.query_one("#expiry", Static)
        assert not expiry.has_class("warning") and not screen.announcement_due
        soon = code.expires_at - dt.timedelta(seconds=HURRY_SECONDS - 10)
        app.show(replace(state, now=soon))
        await pilot.pause()
        assert expiry.has_class("warning")
        assert plain_words(expiry.content).startswith("Hurry:")
        assert "F7" in plain_words(expiry.content)
        assert screen.announcement_due
        screen.announcement_due = False  # the app says it, once
        app.show(replace(state, now=soon + dt.timedelta(seconds=1)))
        await pilot.pause()
        assert not screen.announcement_due
