"""The RA desk's effects on real parts with two readers (issue 17): a private pcscd with
two vpcd readers, the demo service over HTTP (its demo kiosk is an RA desk), the SMTP
catcher, and the demo cards, the RA's among them. The effects are the kiosk app's own
(`kiosk.effects.ra`), run as the app runs them; the world's secrecy scan runs after
each test (the RA's passcode and the new passcodes included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from card.virtual import VirtualCard, make_applet
from demo.world import DemoWorld
from kiosk.card_access import CardThread, PcscCardAccess
from kiosk.effects import ra as effects
from kiosk.effects.parts import EffectParts
from kiosk.flow import events as e
from kiosk.flow import ra_events as r
from kiosk.flow.facts import PinState
from kiosk.flow.ra_states import RaSession
from kiosk.service_client import ServiceClient, ServiceRejected
from kiosk.store import LocalStore
from tests.app.conftest import holder
from tests.app.ra_support import lock_self_service
from tests.conftest import RA_READER, READER, reader_has_card
from tests.support import wait_for

NEW_PASSCODE = "258147"


class Desk:
    """The two-reader desk's effect parts, and what the effects said."""

    def __init__(self, world: DemoWorld, store: Path) -> None:
        self.said: list[e.Event] = []
        self.parts = EffectParts(
            card=CardThread(PcscCardAccess(READER)),
            ra_card=CardThread(PcscCardAccess(RA_READER)),
            client=ServiceClient(world.service_url, world.kiosk_token, retries=0),
            store=LocalStore(store),
            emit=self.said.append,
            clock=lambda: dt.datetime.now(dt.UTC),
        )

    def last(self) -> e.Event:
        return self.said[-1]


@pytest.fixture
async def desk(world: DemoWorld, tmp_path: Path) -> AsyncIterator[Desk]:
    desk = Desk(world, tmp_path / "kiosk.sqlite")
    yield desk
    await desk.parts.client.aclose()
    desk.parts.card.shutdown()
    assert desk.parts.ra_card is not None
    desk.parts.ra_card.shutdown()
    desk.parts.store.close()


async def signed_in_with_the_holder(
    world: DemoWorld, desk: Desk, ra_reader: list[VirtualCard]
) -> tuple[RaSession, r.RaHolderRead, str, str]:
    """The locked holder's card in the holders' reader, self-service locked; the RA's
    card in its own reader and signed in; the holder's card proved in the session."""
    assert world.cards is not None
    world.cards.insert("locked")
    wait_for(lambda: reader_has_card(True, READER), what="the holder's card in")
    await lock_self_service(world)
    ra_card = VirtualCard(make_applet(world.cards.personalisation("ra")), port=world.pcscd.port + 1)
    ra_card.start()
    ra_reader.append(ra_card)
    wait_for(lambda: reader_has_card(True, RA_READER), what="the RA's card in")

    await effects.ra_read_ra_card(desk.parts, r.RaReadRaCard())
    read = desk.last()
    assert isinstance(read, r.RaCardRead)
    ra = holder(world, "ra")
    await effects.ra_sign_in(
        desk.parts, r.RaSignIn(read.card.serial, read.card.uuid, ra["pin"], ra_reader=True)
    )
    signed_in = desk.last()
    assert isinstance(signed_in, r.RaSignedIn), signed_in
    alex = PcscCardAccess(READER).read()
    assert alex.pin is PinState.BLOCKED
    session = signed_in.session
    await effects.ra_take_holder_card(
        desk.parts, r.RaTakeHolderCard(session.session_id, alex.serial, alex.uuid)
    )
    view = desk.last()
    assert isinstance(view, r.RaHolderRead) and view.view.locked
    return session, view, alex.serial, alex.uuid


async def test_with_the_ras_card_in_its_reader_the_holders_card_is_unlocked(
    world: DemoWorld, desk: Desk, ra_reader: list[VirtualCard]
) -> None:
    session, _view, serial, uuid = await signed_in_with_the_holder(world, desk, ra_reader)
    command = r.RaAssistedUnlock(
        session.session_id, serial, uuid, NEW_PASSCODE, ra_serial=session.ra_serial
    )
    await effects.ra_assisted_unlock(desk.parts, command)
    assert isinstance(desk.last(), r.RaUnlockDone), desk.last()
    assert world.cards is not None
    world.cards.personalisation("locked").pin = NEW_PASSCODE  # for the banner and the scan
    PcscCardAccess(READER).verify(serial, NEW_PASSCODE)
    wait_for(lambda: "unlocked" in world.mail.mailbox.text(), timeout=30, what="the notice")


async def test_the_ras_card_pulled_before_the_write_leaves_nothing_half_done(
    world: DemoWorld, desk: Desk, ra_reader: list[VirtualCard]
) -> None:
    session, _view, serial, uuid = await signed_in_with_the_holder(world, desk, ra_reader)
    ra_reader.pop().stop()
    wait_for(lambda: reader_has_card(False, RA_READER), what="the RA's card out")

    command = r.RaAssistedUnlock(
        session.session_id, serial, uuid, NEW_PASSCODE, ra_serial=session.ra_serial
    )
    await effects.ra_assisted_unlock(desk.parts, command)
    refused = desk.last()
    assert isinstance(refused, r.RaRefused) and refused.message == effects.RA_CARD_TAKEN
    # The holder's card is as it was: still blocked, never given a passcode.
    assert PcscCardAccess(READER).read().pin is PinState.BLOCKED
    assert "unlocked" not in world.mail.mailbox.text()
    # And the session ended on the service: nothing more is done in it.
    with pytest.raises(ServiceRejected) as ended:
        await desk.parts.client.ra_client().clear_lock(session.session_id)
    assert ended.value.code == "ra_session_ended"
