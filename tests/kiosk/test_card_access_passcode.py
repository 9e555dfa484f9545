"""PcscCardAccess's passcode calls on the virtual card through the private pcscd.

VERIFY, the holder-key MAC in the session VERIFY ran in (or with the passcode
again when the card forgot it), and CHANGE REFERENCE DATA.
"""

from __future__ import annotations

import pytest

from card import apdu
from card.keys import aes_cmac, load_dev_keys
from card.reader import CardSession
from kiosk.card_access import HolderNotVerifiedError, PcscCardAccess, WrongCard
from tests.conftest import READER, InsertCard, make_card

pytestmark = pytest.mark.pcsc

PIN = "583920"
NONCE = bytes(range(16))


def holder_mac(serial: bytes) -> bytes:
    return aes_cmac(load_dev_keys().card_keys(serial).holder_auth, NONCE)


def test_verify_then_holder_mac_in_the_same_session(insert_card: InsertCard) -> None:
    card = make_card()
    insert_card(card)
    access = PcscCardAccess(READER)
    serial = card.serial.hex()
    with pytest.raises(HolderNotVerifiedError):
        access.holder_mac(serial, NONCE)  # nothing verified yet
    with pytest.raises(apdu.WrongPin) as wrong:
        access.verify(serial, "111111")
    assert wrong.value.tries_left == 2
    access.verify(serial, PIN)
    assert access.holder_mac(serial, NONCE) == holder_mac(card.serial)
    with CardSession.open(READER) as session:
        assert session.pin_status().tries_left is None or session.pin_status().tries_left == 3


def test_card_reset_after_verify_needs_the_passcode_again(insert_card: InsertCard) -> None:
    card = make_card()
    vcard = insert_card(card)
    access = PcscCardAccess(READER)
    serial = card.serial.hex()
    access.verify(serial, PIN)
    vcard.applet.reset()  # as a power cycle would: the card forgets the verified passcode
    with pytest.raises(HolderNotVerifiedError):
        access.holder_mac(serial, NONCE)
    # Given the passcode, VERIFY and the MAC go in one transaction.
    assert access.holder_mac(serial, NONCE, PIN) == holder_mac(card.serial)
    with pytest.raises(apdu.WrongPin):
        access.holder_mac(serial, NONCE, "222222")


def test_another_card_is_refused(insert_card: InsertCard) -> None:
    insert_card(make_card())
    access = PcscCardAccess(READER)
    with pytest.raises(WrongCard):
        access.verify("ffffffffffffffff", PIN)
    with pytest.raises(WrongCard):
        access.change_passcode("ffffffffffffffff", PIN, "470258")


def test_change_passcode_and_the_lock_after_three_wrong(insert_card: InsertCard) -> None:
    card = make_card()
    insert_card(card)
    access = PcscCardAccess(READER)
    serial = card.serial.hex()
    access.change_passcode(serial, PIN, "470258")
    access.verify(serial, "470258")
    for left in (2, 1):
        with pytest.raises(apdu.WrongPin) as wrong:
            access.change_passcode(serial, "000000", "470259")
        assert wrong.value.tries_left == left
    with pytest.raises((apdu.WrongPin, apdu.PinBlocked)):
        access.change_passcode(serial, "000000", "470259")
    assert access.read().pin.value == "blocked"
