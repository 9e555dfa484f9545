"""The reader session against the real stack: private pcscd + vpcd + the virtual card."""

from __future__ import annotations

import threading
import time

import pytest

from card import apdu
from card.apdu import AuthKey, CardProtocolError, PinState
from card.keys import aes_cmac, load_dev_keys
from card.pcsc import CardRemovedError, CardUnresponsive, NoCardError
from card.reader import CardSession
from card.virtual import VirtualCard
from tests.card.blocking import three_wrong_block
from tests.conftest import READER, InsertCard, make_card

pytestmark = pytest.mark.pcsc


def test_reads_card_info_and_pin_status(insert_card: InsertCard) -> None:
    insert_card(make_card("working"))
    with CardSession.open() as session:
        info = session.info()
        status = session.pin_status()
    assert session.reader == READER
    assert info.serial_hex == "5353550000000042"
    assert info.uuid == "555000000042"
    assert info.name == "Priya Shah"
    assert status.state is PinState.WORKING and status.tries_left == 3


def test_empty_reader_is_a_clear_error(live_pcscd: object) -> None:
    with pytest.raises(NoCardError, match="no card"):
        CardSession.open()


def test_three_wrong_passcodes_block_the_card(insert_card: InsertCard) -> None:
    insert_card()
    with CardSession.open() as session:
        three_wrong_block(session.verify, "583920")
        assert session.pin_status().state is PinState.BLOCKED


def test_unblock_with_a_correct_cryptogram_sets_the_new_passcode(insert_card: InsertCard) -> None:
    vcard = insert_card(make_card("locked"))
    key = load_dev_keys().card_keys(vcard.applet.card.serial).unblock
    with CardSession.open() as session:
        with session.transaction():
            challenge = session.get_challenge()
            session.reset_retry_counter(aes_cmac(key, challenge), "246801")
        status = session.pin_status()
        assert status.state is PinState.WORKING and status.tries_left == 3
        session.verify("246801")


@pytest.mark.parametrize("case", ["wrong", "reused", "stale", "absent"])
def test_bad_cryptograms_are_refused_and_change_nothing(insert_card: InsertCard, case: str) -> None:
    vcard = insert_card(make_card("locked"))
    key = load_dev_keys().card_keys(vcard.applet.card.serial).unblock
    with CardSession.open() as session:
        if case == "absent":
            cryptogram = aes_cmac(key, bytes(16))
        else:
            challenge = session.get_challenge()
            cryptogram = aes_cmac(key, challenge)
        if case == "wrong":
            cryptogram = bytes(16)
        elif case == "reused":
            session.reset_retry_counter(cryptogram, "246801")  # first use succeeds
            vcard.applet.card.tries_left = 0  # block again, by hand
            vcard.applet.card.pin = "583920"
        elif case == "stale":
            session.info()  # any other command forgets the challenge
        expected = apdu.SecurityNotSatisfied if case == "wrong" else apdu.ConditionsNotSatisfied
        with pytest.raises(expected):
            session.reset_retry_counter(cryptogram, "135792")
        assert session.pin_status().state is PinState.BLOCKED
    assert vcard.applet.card.pin == "583920"


def test_holder_key_needs_the_passcode_first(insert_card: InsertCard) -> None:
    vcard = insert_card()
    keys = load_dev_keys().card_keys(vcard.applet.card.serial)
    nonce = bytes(range(16))
    with CardSession.open() as session:
        assert session.authenticate(AuthKey.CARD, nonce) == aes_cmac(keys.card_auth, nonce)
        with pytest.raises(apdu.SecurityNotSatisfied):
            session.authenticate(AuthKey.HOLDER, nonce)
        session.verify("583920")
        assert session.authenticate(AuthKey.HOLDER, nonce) == aes_cmac(keys.holder_auth, nonce)


def test_change_passcode(insert_card: InsertCard) -> None:
    vcard = insert_card()
    with CardSession.open() as session:
        with pytest.raises(apdu.WrongPin):
            session.change_passcode("111222", "246801")
        session.change_passcode("583920", "246801")
    assert vcard.applet.card.pin == "246801"


class HangingCard(VirtualCard):
    """Answers nothing to GET DATA until released (a slow or silent card)."""

    release = threading.Event()

    def handle(self, payload: bytes) -> bytes | None:
        if len(payload) >= 5 and payload[1] == apdu.Ins.GET_DATA:
            self.release.wait(30)
        return super().handle(payload)


def test_card_pulled_mid_command_is_a_clear_error_without_a_hang(insert_card: InsertCard) -> None:
    vcard = insert_card(cls=HangingCard)
    HangingCard.release.clear()
    with CardSession.open(transmit_timeout=10) as session:
        threading.Timer(0.3, vcard.stop).start()
        started = time.monotonic()
        with pytest.raises((CardRemovedError, CardUnresponsive)):
            session.info()
        assert time.monotonic() - started < 8
    HangingCard.release.set()


def test_silent_card_gives_a_clear_error(insert_card: InsertCard) -> None:
    insert_card(cls=HangingCard)
    HangingCard.release.clear()
    try:
        with CardSession.open(transmit_timeout=1.0) as session:
            with pytest.raises(CardUnresponsive, match="did not answer"):
                session.info()
            with pytest.raises(CardUnresponsive):
                session.pin_status()
    finally:
        HangingCard.release.set()


class GarbageCard(VirtualCard):
    """Answers a short (1-byte) response to GET DATA 01 and a 3-byte serial to nothing else."""

    mode = "short"

    def handle(self, payload: bytes) -> bytes | None:
        if len(payload) >= 5 and payload[1] == apdu.Ins.GET_DATA:
            if self.mode == "short":
                return b"\x90"
            if self.mode == "garbage":
                return b"\x01\x02\x03\x90\x00"
            return bytes.fromhex("6F00")
        return super().handle(payload)


@pytest.mark.parametrize("mode", ["short", "garbage", "unknown-status"])
def test_misbehaving_card_gives_a_clear_error(insert_card: InsertCard, mode: str) -> None:
    GarbageCard.mode = mode
    insert_card(cls=GarbageCard)
    with CardSession.open() as session:
        with pytest.raises(apdu.CardError) as info:
            session.info()
    if mode == "unknown-status":
        assert "6F00" in str(info.value)
    elif mode == "garbage":
        assert isinstance(info.value, CardProtocolError) and "3 bytes" in str(info.value)
    else:
        # pcscd itself may refuse a 1-byte answer before we see it
        assert str(info.value)


def test_not_our_card(insert_card: InsertCard) -> None:
    class Stranger(VirtualCard):
        def handle(self, payload: bytes) -> bytes | None:
            if len(payload) > 1 and payload[1] == apdu.Ins.SELECT:
                return bytes.fromhex("6A82")
            return super().handle(payload)

    insert_card(cls=Stranger)
    with pytest.raises(apdu.AppletNotFound, match="does not hold the unlock application"):
        CardSession.open()
