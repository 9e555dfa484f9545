"""The RA desk through the kiosk app with keys (Pilot), on real parts (issue 17 item 5):
pcscd with the demo cards, the demo service over HTTP (its kiosk is an RA desk), the
SMTP catcher; the world's secrecy scan runs after each test. The manager's report is
checked against audit records written on known days: the periods chosen on the screen
(7, 30, 90 days and two typed days) show exactly those days' figures, per day and per
kiosk, and the desk's CSV for the same period says the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from textual.widgets import Input, Sparkline

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.flow.ra_states import (
    RaContacts,
    RaEnded,
    RaHolder,
    RaHome,
    RaPasscode,
    RaReport,
)
from kiosk.settings import KioskSettings
from tests.app.conftest import holder, kiosk_on
from tests.app.journey import SIZE, fields_ready, on, until
from tests.app.ra_support import (
    TODAY,
    check_csv,
    check_figures,
    expected,
    lock_self_service,
    ra_signs_in,
    ra_unlocks_the_card,
    swap_card,
    write_known_days,
)
from tests.conftest import READER, reader_has_card
from tests.support import wait_for

NEW_PASSCODE = "258147"


@pytest.fixture
async def ra_kiosk(world: DemoWorld, kiosk_settings: KioskSettings) -> AsyncIterator[KioskApp]:
    settings = kiosk_settings.model_copy(update={"ra_desk": True})
    with kiosk_on(world, settings, demo=world.cards, outbox_seconds=0.5) as app:
        yield app


async def test_an_ra_signs_in_clears_a_lock_unlocks_a_card_and_signs_out(
    world: DemoWorld, ra_kiosk: KioskApp
) -> None:
    ra, alex = holder(world, "ra"), holder(world, "locked")
    assert world.cards is not None
    world.cards.insert("locked")
    wait_for(lambda: reader_has_card(True, READER), what="the card in")
    await lock_self_service(world)
    swap_card(world, None)

    app = ra_kiosk
    async with app.run_test(size=SIZE) as pilot:
        await ra_signs_in(pilot, app, "ctrl+f5", ra["pin"])  # the demo key: the RA's card
        state = await until(pilot, app, on(RaHome))
        assert isinstance(state.screen, RaHome) and state.screen.session.ra_name == ra["name"]

        # One reader: the RA's card out, the holder's in; the session is kept.
        swap_card(world, "locked")
        state = await until(pilot, app, on(RaHolder))
        assert isinstance(state.screen, RaHolder) and state.screen.view is not None
        assert state.screen.view.locked and state.screen.holder.name == alex["name"]

        await pilot.press("c")
        state = await until(
            pilot,
            app,
            lambda st: on(RaHolder)(st) and not st.screen.view.locked,  # type: ignore[attr-defined]
        )
        state = await ra_unlocks_the_card(pilot, app, NEW_PASSCODE)
        assert "unlocked" in (state.screen.notice or "")  # type: ignore[attr-defined]
        world.cards.personalisation("locked").pin = NEW_PASSCODE  # for the banner and the scan
        # Neither passcode stays in a field once its screen is left.
        for name in ("kiosk-RaPasscode", "kiosk-RaNewPasscode"):
            left = app.get_screen(name)
            assert [field.value for field in left.query(Input)] == [""] * len(left.query(Input))

        # The manager's report counts this desk's assisted unlock, with a chart.
        await pilot.press("r")
        report = await until(pilot, app, on(RaReport))
        view = report.screen.report  # type: ignore[attr-defined]
        assert view.unlocks_assisted == 1 and view.locks == 1 and sum(view.unlocks_per_day) == 1
        assert len(app.screen.query_one(Sparkline).data or []) == 30
        await pilot.press("escape")
        await until(pilot, app, on(RaHolder))

        # Signing out: S; then the card comes out.
        await pilot.press("s")
        await until(pilot, app, lambda st: isinstance(st.screen, RaEnded))
        PcscCardAccess(READER).verify(state.screen.holder.serial, NEW_PASSCODE)  # type: ignore[attr-defined]
        swap_card(world, None)
        await until(pilot, app, on(s.WaitingForCard))
    wait_for(lambda: "unlocked" in world.mail.mailbox.text(), timeout=30, what="the notice")


async def test_a_holder_card_cannot_start_an_ra_session(
    world: DemoWorld, ra_kiosk: KioskApp
) -> None:
    priya = holder(world, "working")
    app = ra_kiosk
    async with app.run_test(size=SIZE) as pilot:
        await ra_signs_in(pilot, app, "f3", priya["pin"])
        state = await until(pilot, app, lambda st: on(RaPasscode)(st) and st.screen.error)  # type: ignore[attr-defined]
        assert "not an RA card" in (state.screen.error or "")  # type: ignore[attr-defined]
        # The way forward: Esc back to the card's own choices.
        await pilot.press("escape")
        await until(pilot, app, on(s.CardStatus))


async def test_an_ra_corrects_a_holders_contacts_and_both_addresses_are_told(
    world: DemoWorld, ra_kiosk: KioskApp
) -> None:
    ra, sam = holder(world, "ra"), holder(world, "unregistered")
    app = ra_kiosk
    async with app.run_test(size=SIZE) as pilot:
        await ra_signs_in(pilot, app, "ctrl+f5", ra["pin"])
        await until(pilot, app, on(RaHome))
        swap_card(world, "unregistered")
        await until(pilot, app, on(RaHolder))
        await pilot.press("e")
        await until(pilot, app, on(RaContacts))
        await fields_ready(pilot, app)
        # Bad input: a clear error, nothing sent or changed.
        await pilot.press(*"sam@example.com", "enter", *"07700900123", "enter")
        state = await until(pilot, app, lambda st: on(RaContacts)(st) and st.screen.errors)  # type: ignore[attr-defined]
        assert "nhs.net" in " ".join(state.screen.errors)  # type: ignore[attr-defined]
        for field in app.screen.query(Input):
            field.value = ""
        await pilot.press(*"sam.t@gov.uk", "enter", *"07700 900123", "enter")
        state = await until(pilot, app, lambda st: on(RaHolder)(st) and st.screen.notice)  # type: ignore[attr-defined]
        assert state.screen.view.email == "sam.t@gov.uk"  # type: ignore[attr-defined]
        await pilot.press("s")
        await until(pilot, app, lambda st: isinstance(st.screen, RaEnded))
    wait_for(lambda: sam["email"] in world.mail.mailbox.text(), timeout=30, what="the old address")
    assert "sam.t@gov.uk" in world.mail.mailbox.text()


async def test_the_ra_manager_chooses_the_period_and_the_figures_are_the_audits(
    world: DemoWorld, ra_kiosk: KioskApp
) -> None:
    write_known_days(world)
    ra = holder(world, "ra")
    app = ra_kiosk
    async with app.run_test(size=SIZE) as pilot:
        await ra_signs_in(pilot, app, "ctrl+f5", ra["pin"])
        await until(pilot, app, on(RaHome))

        # R: the last 30 days, today included.
        await pilot.press("r")
        await until(pilot, app, on(RaReport))
        check_figures(app, TODAY - dt.timedelta(days=29), TODAY)

        for key, days in (("7", 7), ("9", 90), ("3", 30)):
            await pilot.press(key)
            first = TODAY - dt.timedelta(days=days - 1)
            await until(
                pilot,
                app,
                lambda st, first=first: on(RaReport)(st) and st.screen.since == first.isoformat(),  # type: ignore[attr-defined]
            )
            check_figures(app, first, TODAY)
        await check_csv(world, app, TODAY - dt.timedelta(days=29), TODAY)

        # D: two typed days. A bad pair says why and changes nothing.
        await pilot.press("d")
        await fields_ready(pilot, app)
        first, last = TODAY - dt.timedelta(days=65), TODAY - dt.timedelta(days=15)
        since, until_field = app.screen.query(Input)
        since.value, until_field.value = last.isoformat(), first.isoformat()
        app.set_focus(until_field)
        await pilot.press("enter")
        state = await until(pilot, app, lambda st: bool(st.screen.error))  # type: ignore[attr-defined]
        assert "before the first day" in (state.screen.error or "")  # type: ignore[attr-defined]
        assert state.screen.since == (TODAY - dt.timedelta(days=29)).isoformat()  # type: ignore[attr-defined]
        since.value, until_field.value = first.isoformat(), last.isoformat()
        app.set_focus(until_field)
        await pilot.press("enter")
        await until(
            pilot,
            app,
            lambda st: on(RaReport)(st) and st.screen.since == first.isoformat(),  # type: ignore[attr-defined]
        )
        check_figures(app, first, last)
        assert expected(first, last), "the period holds known days"
        await check_csv(world, app, first, last)

        await pilot.press("escape")
        await until(pilot, app, on(RaHome))
