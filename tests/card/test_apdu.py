"""The APDU codec: commands built and answers parsed exactly as the applet table says."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from card import apdu
from card.apdu import (
    AuthKey,
    CardError,
    CardProtocolError,
    CardStatusError,
    DataObject,
    PinBlocked,
    PinState,
    Response,
    WrongPin,
)


def test_commands_match_the_applet_table() -> None:
    assert apdu.select() == bytes.fromhex("00A4040005F053535501")
    assert apdu.get_data(DataObject.NAME) == bytes.fromhex("00CA010400")
    assert apdu.verify_query() == bytes.fromhex("00200081")
    assert apdu.verify("123987") == bytes.fromhex("0020008108313233393837FFFF")
    assert apdu.change_reference_data("1111", "22223333") == bytes.fromhex(
        "002400811031313131FFFFFFFF3232323233333333"
    )
    assert apdu.get_challenge() == bytes.fromhex("0084000010")
    assert apdu.reset_retry_counter(bytes(16), "583920")[:5] == bytes.fromhex("002C008118")
    assert apdu.internal_authenticate(AuthKey.HOLDER, bytes(16))[:5] == bytes.fromhex("0088000210")


@pytest.mark.parametrize("bad", ["", "123", "123456789", "12a456", "١٢٣٤٥٦", "12 456"])
def test_bad_passcodes_are_refused_before_any_command(bad: str) -> None:
    with pytest.raises(ValueError):
        apdu.verify(bad)


@given(st.text(alphabet="0123456789", min_size=4, max_size=8))
def test_pin_block_round_trips(pin: str) -> None:
    block = apdu.encode_pin(pin)
    assert len(block) == 8
    assert apdu.decode_pin(block) == pin


@given(st.binary(max_size=8))
def test_decode_pin_only_raises_value_error(block: bytes) -> None:
    try:
        pin = apdu.decode_pin(block)
    except ValueError:
        return
    assert apdu.encode_pin(pin) == block


@given(st.binary(min_size=2, max_size=300))
def test_response_round_trips(raw: bytes) -> None:
    assert Response.parse(raw).to_bytes() == raw


@given(st.binary(max_size=1))
def test_short_response_is_a_protocol_error(raw: bytes) -> None:
    with pytest.raises(CardProtocolError, match="too short"):
        Response.parse(raw)


@given(st.integers(min_value=0, max_value=0xFFFF).filter(lambda sw: sw != 0x9000))
def test_every_status_word_is_a_domain_error_with_a_message(sw: int) -> None:
    err = apdu.error_for(sw)
    assert isinstance(err, CardStatusError)
    assert err.sw == sw
    assert f"{sw:04X}" in str(err)


@pytest.mark.parametrize(
    ("raw", "state", "left"),
    [
        ("9000", PinState.VERIFIED, None),
        ("63C3", PinState.WORKING, 3),
        ("63C1", PinState.WORKING, 1),
        ("63C0", PinState.BLOCKED, 0),
        ("6983", PinState.BLOCKED, 0),
    ],
)
def test_pin_status(raw: str, state: PinState, left: int | None) -> None:
    status = apdu.parse_pin_status(Response.parse(bytes.fromhex(raw)))
    assert status.state is state
    assert status.tries_left == left


def test_wrong_pin_and_blocked_errors() -> None:
    with pytest.raises(WrongPin) as info:
        Response.parse(bytes.fromhex("63C2")).check()
    assert info.value.tries_left == 2
    assert "2 tries left" in str(info.value)
    with pytest.raises(PinBlocked):
        Response.parse(bytes.fromhex("6983")).check()


parsers = [apdu.parse_serial, apdu.parse_uuid, apdu.parse_expiry, apdu.parse_name]


@pytest.mark.parametrize("parse", parsers)
@given(data=st.binary(max_size=40))
def test_data_parsers_only_raise_protocol_errors(parse: object, data: bytes) -> None:
    try:
        parse(data)  # type: ignore[operator]
    except CardProtocolError:
        pass


def test_data_parsers_accept_well_formed_values() -> None:
    assert apdu.parse_serial(bytes(8)) == bytes(8)
    assert apdu.parse_uuid(b"555000000001") == "555000000001"
    assert apdu.parse_expiry(b"20281121") == dt.date(2028, 11, 21)
    assert apdu.parse_name("Siân O'Neill".encode()) == "Siân O'Neill"
    for bad in (b"20281321", b"2028112", b"2028-1-1"):
        with pytest.raises(CardProtocolError):
            apdu.parse_expiry(bad)


@given(st.sampled_from(list(DataObject)), st.binary(min_size=0, max_size=20))
def test_codec_errors_are_card_errors(obj: DataObject, data: bytes) -> None:
    assert issubclass(CardProtocolError, CardError)
    assert apdu.get_data(obj)[3] == obj
