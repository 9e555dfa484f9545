"""The virtual card's applet and its vpcd framing, without a reader in between."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from card import apdu
from card.applet import Applet
from card.keys import aes_cmac, load_dev_keys
from card.virtual import (
    ATR_WITH_TCK,
    FrameReader,
    VirtualCard,
    encode_frame,
    make_applet,
    make_piv_applet,
    piv_state_saver,
    state_saver,
)
from tests.conftest import make_card, make_piv_card


def fresh(state: str = "working") -> Applet:
    applet = make_applet(make_card(state))
    assert applet.process(apdu.select()) == bytes.fromhex("9000")
    return applet


def sw(answer: bytes) -> str:
    return answer[-2:].hex().upper()


@given(st.binary(max_size=300))
def test_any_command_gets_a_status_word_and_never_crashes(command: bytes) -> None:
    applet = fresh()
    answer = applet.process(command)
    assert len(answer) >= 2


@given(st.lists(st.binary(min_size=1, max_size=40), max_size=20), st.data())
def test_frames_survive_any_split_of_the_stream(payloads: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(encode_frame(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    reader = FrameReader()
    got: list[bytes] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got += reader.feed(stream[start:cut])
        start = cut
    assert got == payloads


def test_vpcd_controls() -> None:
    card = VirtualCard(fresh())
    assert card.handle(bytes([4])) == ATR_WITH_TCK
    card.applet.process(apdu.verify("583920"))
    assert card.applet.pin_verified
    assert card.handle(bytes([2])) is None  # reset clears the session
    assert not card.applet.pin_verified and not card.applet.selected


def test_unknown_instruction_class_and_data_object() -> None:
    applet = fresh()
    assert sw(applet.process(bytes.fromhex("00FF0000"))) == "6D00"
    assert sw(applet.process(bytes.fromhex("80CA010100"))) == "6E00"
    assert sw(applet.process(bytes.fromhex("00CA010900"))) == "6A88"
    assert sw(applet.process(bytes.fromhex("00A4040005F053535599"))) == "6A82"
    assert sw(applet.process(bytes.fromhex("00200081033132"))) == "6700"


def test_three_wrong_passcodes_block_and_then_the_right_one_is_refused() -> None:
    applet = fresh()
    assert [sw(applet.process(apdu.verify("111222"))) for _ in range(3)] == [
        "63C2",
        "63C1",
        "6983",
    ]
    assert sw(applet.process(apdu.verify("583920"))) == "6983"
    assert sw(applet.process(apdu.verify_query())) == "6983"


def test_a_right_passcode_resets_the_counter() -> None:
    applet = fresh()
    applet.process(apdu.verify("111222"))
    assert sw(applet.process(apdu.verify("583920"))) == "9000"
    assert sw(applet.process(apdu.verify_query())) == "9000"
    assert applet.card.tries_left == 3


def test_unblock_needs_the_cryptogram_of_a_fresh_challenge() -> None:
    applet = fresh("locked")
    key = load_dev_keys().card_keys(applet.card.serial).unblock
    # absent challenge
    assert sw(applet.process(apdu.reset_retry_counter(bytes(16), "246801"))) == "6985"
    challenge = applet.process(apdu.get_challenge())[:-2]
    # wrong cryptogram consumes the challenge
    assert sw(applet.process(apdu.reset_retry_counter(bytes(16), "246801"))) == "6982"
    assert sw(applet.process(apdu.reset_retry_counter(aes_cmac(key, challenge), "246801"))) == (
        "6985"
    )
    # stale: any other command in between forgets it
    challenge = applet.process(apdu.get_challenge())[:-2]
    applet.process(apdu.get_data(apdu.DataObject.SERIAL))
    assert sw(applet.process(apdu.reset_retry_counter(aes_cmac(key, challenge), "246801"))) == (
        "6985"
    )
    assert applet.card.tries_left == 0 and applet.card.pin == "583920"
    challenge = applet.process(apdu.get_challenge())[:-2]
    assert sw(applet.process(apdu.reset_retry_counter(aes_cmac(key, challenge), "246801"))) == (
        "9000"
    )
    assert applet.card.tries_left == 3 and applet.card.pin == "246801"


@pytest.mark.parametrize("key", [apdu.AuthKey.CARD, apdu.AuthKey.HOLDER])
def test_internal_authenticate(key: apdu.AuthKey) -> None:
    applet = fresh()
    keys = load_dev_keys().card_keys(applet.card.serial)
    nonce = bytes(range(16))
    if key is apdu.AuthKey.HOLDER:
        assert sw(applet.process(apdu.internal_authenticate(key, nonce))) == "6982"
        applet.process(apdu.verify("583920"))
        expected = aes_cmac(keys.holder_auth, nonce)
    else:
        expected = aes_cmac(keys.card_auth, nonce)
    assert applet.process(apdu.internal_authenticate(key, nonce)) == expected + b"\x90\x00"


def test_a_state_file_applies_only_to_its_own_card(tmp_path: Path) -> None:
    own, piv = tmp_path / "own.json", tmp_path / "piv.json"
    card = make_card("working")
    card.pin, card.tries_left = "111222", 2
    state_saver(own)(card)
    again = make_card("working")
    make_applet(again, state_file=own)
    assert (again.pin, again.tries_left) == ("111222", 2)
    with pytest.raises(ValueError, match="another card"):
        make_applet(make_card("working", serial=bytes.fromhex("5353550000000099")), state_file=own)
    piv_state_saver(piv)(make_piv_card())
    make_piv_applet(make_piv_card(), state_file=piv)
    with pytest.raises(ValueError, match="another card"):
        make_piv_applet(make_piv_card(serial=bytes.fromhex("5353550000000098")), state_file=piv)
