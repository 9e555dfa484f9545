"""Walk-up usability through the real app (issue 12), driven by keys under Pilot.

The kiosk is built on the real parts (private pcscd + vpcd, the demo service over
HTTP, the SMTP catcher), as in tests/app; only the clock is the test's, where the
inactivity warning has to be reached without waiting 90 seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.conftest import kiosk_on, world_settings
from tests.app.journey import SIZE, Holder, field_values, until

pytestmark = pytest.mark.pcsc


class Clock:
    """A clock the test moves on."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(world: DemoWorld, tmp_path, clock: Clock) -> AsyncIterator[KioskApp]:  # type: ignore[no-untyped-def]
    settings = world_settings(world, tmp_path)
    with kiosk_on(world, settings, clock=clock, tick_seconds=0.1) as kiosk:
        yield kiosk


async def _warned(pilot, app: KioskApp, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clock.now += dt.timedelta(seconds=app.settings.timeouts.inactivity_seconds + 1)
    await until(pilot, app, lambda st: isinstance(st.overlay, s.InactivityWarning))
    await pilot.pause(0.2)  # the warning is drawn


@pytest.mark.parametrize("key", ["x", "enter", "space", "backspace"])
async def test_the_key_that_answers_are_you_still_there_does_only_that(
    world: DemoWorld, app: KioskApp, clock: Clock, key: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        alex = Holder(world, app, pilot)
        state = await alex.to_questions()
        attempts = state.screen.attempts_left
        await alex.type("bis")
        await _warned(pilot, app, clock)
        await pilot.press(key)
        await until(pilot, app, lambda st: st.overlay is None)
        await pilot.pause(0.3)
        assert isinstance(app.state.screen, s.Questions), "the key did more than dismiss"
        assert not app.state.screen.sending
        assert app.state.screen.attempts_left == attempts
        assert field_values(app) == ["bis", "", ""], "the key reached the form"
        # and the next key is typing again
        await alex.type("c")
        assert field_values(app)[0] == "bisc"
