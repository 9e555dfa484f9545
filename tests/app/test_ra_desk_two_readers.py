"""The RA desk with two readers, through the kiosk app (Pilot) on real parts (issue 17):
the RA's card in a reader of its own signs the RA in while the holder's card stays in
the holders' reader; pulling the RA's card signs out and the kiosk is a holder's kiosk
again. The world's secrecy scan runs after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from card.virtual import VirtualCard, make_applet
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.flow.facts import PinState
from kiosk.flow.ra_states import RaHolder, RaPasscode
from kiosk.settings import KioskSettings
from tests.app.conftest import holder, kiosk_on
from tests.app.journey import SIZE, fields_ready, on, until
from tests.app.ra_support import lock_self_service, ra_unlocks_the_card
from tests.conftest import RA_READER, READER, reader_has_card
from tests.support import wait_for

NEW_PASSCODE = "369258"


@pytest.fixture
async def desk(world: DemoWorld, kiosk_settings: KioskSettings) -> AsyncIterator[KioskApp]:
    settings = kiosk_settings.model_copy(update={"ra_desk": True, "ra_reader": RA_READER})
    with kiosk_on(
        world,
        settings,
        ra_card=PcscCardAccess(RA_READER),
        demo=world.cards,
        outbox_seconds=0.5,
    ) as app:
        yield app


async def test_two_readers_sign_in_unlock_and_sign_out_by_pulling_the_ra_card(
    world: DemoWorld, desk: KioskApp, ra_reader: list[VirtualCard]
) -> None:
    ra = holder(world, "ra")
    assert world.cards is not None
    world.cards.insert("locked")
    wait_for(lambda: reader_has_card(True, READER), what="the holder's card in")
    await lock_self_service(world)

    app = desk
    async with app.run_test(size=SIZE) as pilot:
        # The holder's card is in: the kiosk looks at it as at any kiosk.
        await until(pilot, app, lambda st: st.card is not None and not st.screen.busy)
        card = VirtualCard(
            make_applet(world.cards.personalisation("ra")), port=world.pcscd.port + 1
        )
        card.start()
        ra_reader.append(card)
        state = await until(pilot, app, on(RaPasscode))
        assert state.screen.ra_reader  # type: ignore[attr-defined]
        await fields_ready(pilot, app)
        await pilot.press(*ra["pin"], "enter")
        # Signed in: the holder's card, still in its reader, is read at once.
        state = await until(pilot, app, lambda st: on(RaHolder)(st))
        assert state.screen.view.locked  # type: ignore[attr-defined]
        await pilot.press("c")
        await until(pilot, app, lambda st: on(RaHolder)(st) and not st.screen.view.locked)  # type: ignore[attr-defined]
        await ra_unlocks_the_card(pilot, app, NEW_PASSCODE)
        world.cards.personalisation("locked").pin = NEW_PASSCODE  # for the banner and the scan

        # Pulling the RA's card signs out; the holder's card is a holder's card again.
        ra_reader.pop().stop()
        state = await until(pilot, app, on(s.CardStatus))
        assert state.card is not None and state.card.pin is PinState.WORKING
    PcscCardAccess(READER).verify(state.card.serial, NEW_PASSCODE)
