"""The RA desk's card and service steps on real parts (issue 17 item 5): a private pcscd
with two vpcd readers, the demo service over HTTP (its demo kiosk is an RA desk), the
SMTP catcher, and the demo cards, the RA's among them. The secrecy scan of the world
fixture runs after each test (the RA's passcode and the new passcodes included)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from card import apdu
from card.virtual import VirtualCard, make_applet
from demo.world import DemoWorld
from kiosk.card_access import PcscCardAccess
from kiosk.flow.facts import PinState
from kiosk.ra_client import RaClient
from kiosk.ra_desk import RaCardRemoved, RaDesk, RaDeskCards
from kiosk.service_client import ServiceRejected
from tests.app.conftest import holder
from tests.app.ra_support import lock_self_service
from tests.conftest import READER, reader_has_card
from tests.support import wait_for

SECOND_READER = "Virtual PCD 00 01"
NEW_PASSCODE = "258147"


@pytest.fixture
def ra_slot(world: DemoWorld) -> Iterator[dict[str, VirtualCard]]:
    """The second reader: put a demo card in it with `insert(key)`; pulled after the test."""
    cards: dict[str, VirtualCard] = {}
    yield cards
    for card in cards.values():
        card.stop()
    wait_for(lambda: reader_has_card(False, SECOND_READER), what="the second reader empty")


def into_second_reader(world: DemoWorld, slots: dict[str, VirtualCard], key: str) -> None:
    assert world.cards is not None
    card = VirtualCard(make_applet(world.cards.personalisation(key)), port=world.pcscd.port + 1)
    card.start()
    slots[key] = card
    wait_for(lambda: reader_has_card(True, SECOND_READER), what="the card in the second reader")


def pull_from_second_reader(slots: dict[str, VirtualCard], key: str) -> None:
    slots.pop(key).stop()
    wait_for(lambda: reader_has_card(False, SECOND_READER), what="the second reader empty")


def into_first_reader(world: DemoWorld, key: str) -> None:
    """Take out whatever card is in the first reader (pcscd sees it go), then put `key`'s in."""
    assert world.cards is not None
    world.cards.remove()
    wait_for(lambda: reader_has_card(False, READER), what="the first reader empty")
    world.cards.insert(key)
    wait_for(lambda: reader_has_card(True, READER), what="the card in the first reader")


@pytest.fixture
async def two_reader_desk(world: DemoWorld) -> AsyncIterator[RaDesk]:
    cards = RaDeskCards.two_readers(
        SECOND_READER, READER, ra_present=lambda: bool(reader_has_card(True, SECOND_READER))
    )
    desk = RaDesk(RaClient(world.service_url, world.kiosk_token, retries=0), cards)
    yield desk
    await desk.client.aclose()
    cards.shutdown()


async def test_an_ra_signs_in_clears_a_lock_unlocks_and_signs_out_by_pulling_the_card(
    world: DemoWorld, ra_slot: dict[str, VirtualCard], two_reader_desk: RaDesk
) -> None:
    desk = two_reader_desk
    ra, alex = holder(world, "ra"), holder(world, "locked")
    into_first_reader(world, "locked")
    await lock_self_service(world)

    into_second_reader(world, ra_slot, "ra")
    session = await desk.sign_in(await desk.read_ra_card(), ra["pin"])
    assert session.ra_name == ra["name"]
    alex_card = await desk.read_holder_card()
    assert alex_card.pin is PinState.BLOCKED
    state = await desk.take_holder_card(alex_card)
    assert state.locked and state.name == alex["name"]
    assert not (await desk.clear_lock()).locked

    await desk.assisted_unlock(alex_card, NEW_PASSCODE)
    assert world.cards is not None
    world.cards.personalisation("locked").pin = NEW_PASSCODE  # for the banner and the scan
    # The card now takes the new passcode.
    PcscCardAccess(READER).verify(alex_card.serial, NEW_PASSCODE)
    wait_for(lambda: "unlocked" in world.mail.mailbox.text(), timeout=15, what="the notice")

    # Signing out is pulling the RA's card: the kiosk's watcher sees it, the session ends.
    pull_from_second_reader(ra_slot, "ra")
    await desk.sign_out("card_removed")
    desk.session = session
    with pytest.raises(ServiceRejected) as ended:
        await desk.clear_lock()
    assert ended.value.code == "ra_session_ended"


async def test_a_holder_card_cannot_start_an_ra_session(
    world: DemoWorld, ra_slot: dict[str, VirtualCard], two_reader_desk: RaDesk
) -> None:
    priya = holder(world, "working")
    into_second_reader(world, ra_slot, "working")
    with pytest.raises(ServiceRejected) as refused:
        await two_reader_desk.sign_in(await two_reader_desk.read_ra_card(), priya["pin"])
    assert refused.value.code == "ra_role_required"
    assert two_reader_desk.session is None
    # And a wrong passcode never gets as far as the service.
    with pytest.raises(apdu.WrongPin):
        await two_reader_desk.sign_in(await two_reader_desk.read_ra_card(), "135792")


async def test_the_ra_card_pulled_mid_unlock_leaves_nothing_half_done(
    world: DemoWorld, ra_slot: dict[str, VirtualCard], two_reader_desk: RaDesk
) -> None:
    desk = two_reader_desk
    ra = holder(world, "ra")
    into_second_reader(world, ra_slot, "ra")
    into_first_reader(world, "locked")
    await desk.sign_in(await desk.read_ra_card(), ra["pin"])
    alex_card = await desk.read_holder_card()
    await desk.take_holder_card(alex_card)

    pull_from_second_reader(ra_slot, "ra")
    with pytest.raises(RaCardRemoved):
        await desk.assisted_unlock(alex_card, NEW_PASSCODE)
    assert desk.session is None
    # The holder's card is as it was: still blocked, never given a passcode.
    again = await desk.read_holder_card()
    assert again.pin is PinState.BLOCKED
    assert "unlocked" not in world.mail.mailbox.text()


async def test_one_reader_the_ra_card_then_the_holder_card(world: DemoWorld) -> None:
    ra = holder(world, "ra")
    cards = RaDeskCards.one_reader(READER)
    desk = RaDesk(RaClient(world.service_url, world.kiosk_token, retries=0), cards)
    try:
        into_first_reader(world, "ra")
        await desk.sign_in(await desk.read_ra_card(), ra["pin"])
        # The RA's card out, the holder's in: the session is kept on the service.
        into_first_reader(world, "locked")
        alex_card = await desk.read_holder_card()
        await desk.take_holder_card(alex_card)
        await desk.assisted_unlock(alex_card, NEW_PASSCODE)
        assert world.cards is not None
        world.cards.personalisation("locked").pin = NEW_PASSCODE
        PcscCardAccess(READER).verify(alex_card.serial, NEW_PASSCODE)
        await desk.sign_out("signed_out")
    finally:
        await desk.client.aclose()
        cards.shutdown()
