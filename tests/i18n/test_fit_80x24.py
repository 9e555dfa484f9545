"""Every screen fits 80x24 in English and in Welsh (which runs longer).

Snapshots of each representative state in both languages at 80x24, and a check that
no text is cut off: nothing is wider than the body (every paragraph wraps), the
title bar's words fit their row, and every line of the packed key hints fits.
What is taller than the body scrolls (the body is a scroll view that the Up/Down
keys, PgUp/PgDn and the mouse wheel move).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from contract.language import Language
from screens import OVERLAYS
from screens.language import set_current
from screens.wording import plain_words
from tests.screens.harness import ScreenHarness
from tests.screens.states import REPRESENTATIVE

SIZE = (80, 24)
LANGUAGES = [Language.ENGLISH, Language.WELSH]


@pytest.fixture
def language(request: pytest.FixtureRequest) -> Iterator[Language]:
    chosen: Language = request.param
    set_current(chosen)
    yield chosen
    set_current(Language.ENGLISH)


def _harness(name: str) -> ScreenHarness:
    state = REPRESENTATIVE[name]
    overlay = OVERLAYS[type(state.overlay)]() if state.overlay is not None else None
    return ScreenHarness(state, overlay=overlay)


@pytest.mark.parametrize("language", LANGUAGES, indirect=True, ids=["en", "cy"])
@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_snapshot_80x24(name: str, language: Language, snap_compare: Any) -> None:
    async def settled(pilot: Any) -> None:
        # A screen with a problem puts the cursor on it and scrolls after a refresh:
        # let those land before the picture is taken.
        app = pilot.app
        body = app.kiosk_screen.query_one("#body", VerticalScroll)
        seen: object = None
        for _ in range(40):  # bounded: until the cursor and the scroll stay put
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            now = (app.kiosk_screen.focused, body.scroll_y, app.screen.size)
            if now == seen:
                break
            seen = now

    assert snap_compare(_harness(name), terminal_size=SIZE, run_before=settled)


@pytest.mark.parametrize("language", LANGUAGES, indirect=True, ids=["en", "cy"])
@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
async def test_nothing_is_cut_off_at_80x24(name: str, language: Language) -> None:
    app = _harness(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.kiosk_screen
        body = screen.query_one("#body", VerticalScroll)
        assert body.max_scroll_x == 0, "something is wider than the body"
        title = screen.query_one("#title", Static)
        words = plain_words(title.content)
        assert len(words) <= title.content_region.width, f"title cut: {words!r}"
        # The key hints are packed into lines by hand (a hint is never split); the
        # other footer line wraps like any paragraph.
        keys = screen.query_one("#keys", Static)
        for line in plain_words(keys.content).splitlines():
            assert len(line) <= SIZE[0] - 4, f"key hints line too long: {line!r}"
        if app.overlay is not None:
            box = app.overlay.query_one("#overlay-box", VerticalScroll)
            assert box.max_scroll_x == 0
        # The screen is in the language asked for.
        if language is Language.WELSH:
            assert "English" in plain_words(screen.query_one("#keys", Static).content)
