"""The unlock journey through the real app when things go wrong: the card pulled at
every step, the service going away, the holder walking off, and keys that must not
get anyone out of the kiosk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import SecretStr

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import states as s
from kiosk.settings import KioskSettings
from tests.app.conftest import kiosk_on
from tests.app.journey import SIZE, Holder, field_values, on, until
from tests.faults.cards import PROFILES, assert_card_holds, card_key

pytestmark = pytest.mark.pcsc

STEPS = ["to_status", "to_questions", "to_code", "to_new_passcode"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("profile", PROFILES)
async def test_card_removed_at_every_step_ends_the_session_and_wipes(
    world: DemoWorld, kiosk: KioskApp, profile: str, step: str
) -> None:
    key = card_key(profile, "locked")
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot, key=key)
        await getattr(alex, step)()
        await alex.type("2581")  # something typed and not sent
        typed_on = kiosk.screen
        assert world.cards is not None
        world.cards.remove()
        await until(pilot, kiosk, on(s.CardRemovedNotice))
        assert kiosk.state.card is None and kiosk.state.journey is None
        assert all(not field.value for field in typed_on.query("Input")), "inputs not wiped"
        await until(pilot, kiosk, lambda _: kiosk.store.load_checkpoint() is None)
        # and the card is as it was: still blocked, not half-written (a PIV card
        # with its PUK, every PUK try and no rotation begun)
        assert_card_holds(world, key, alex.data["pin"], blocked=True)


async def test_service_outage_keeps_what_was_typed_and_recovers(
    world: DemoWorld, kiosk: KioskApp
) -> None:
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot)
        state = await alex.to_questions()
        await alex.type_answers(state, submit=False)
        world.stop_service()
        await pilot.press("enter")
        state = await until(pilot, kiosk, lambda st: isinstance(st.screen, s.ServiceUnavailable))
        assert all(field_values(kiosk)), "what the holder typed must stay on screen"
        banner = str(kiosk.screen.query_one("#banner").render())
        assert "what you typed is kept" in " ".join(banner.split()).lower()
        world.start_service()
        state = await until(pilot, kiosk, on(s.Questions), timeout=40)
        assert all(field_values(kiosk))
        await pilot.press("enter")  # send again, as the notice says
        await until(pilot, kiosk, on(s.CodeEntry))


async def test_inactivity_warns_then_ends_the_session(
    world: DemoWorld, kiosk_settings: KioskSettings
) -> None:
    now = [dt.datetime.now(dt.UTC)]
    with kiosk_on(world, kiosk_settings, clock=lambda: now[0], tick_seconds=0.1) as app:
        async with app.run_test(size=SIZE) as pilot:
            alex = Holder(world, app, pilot)
            await alex.to_questions()
            await alex.type("biscuit")
            now[0] += dt.timedelta(seconds=kiosk_settings.timeouts.inactivity_seconds + 1)
            await until(pilot, app, lambda st: isinstance(st.overlay, s.InactivityWarning))
            now[0] += dt.timedelta(seconds=kiosk_settings.timeouts.warning_seconds + 1)
            await until(pilot, app, lambda st: isinstance(st.screen, s.SessionEnded))
            await until(pilot, app, lambda _: app.store.load_checkpoint() is None)


@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q", "ctrl+p", "ctrl+z", "ctrl+backslash"])
async def test_lock_down_keys_do_nothing(world: DemoWorld, kiosk: KioskApp, key: str) -> None:
    async with kiosk.run_test(size=SIZE) as pilot:
        alex = Holder(world, kiosk, pilot)
        await alex.to_questions()
        await alex.type("biscuit")
        screen = kiosk.screen
        await pilot.press(key)
        await pilot.pause()
        assert kiosk.is_running
        assert kiosk.screen is screen
        assert kiosk.clipboard == ""
        assert field_values(kiosk)[0] == "biscuit"


def test_settings_fixture_is_private(kiosk_settings: KioskSettings, tmp_path: Path) -> None:
    assert isinstance(kiosk_settings.kiosk_token, SecretStr)
    assert str(kiosk_settings.store).startswith(str(tmp_path))
