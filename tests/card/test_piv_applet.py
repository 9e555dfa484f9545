"""The virtual PIV card's application (SP 800-73-4), APDU by APDU, without a reader."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from card import piv, tlv
from card.piv import DataObject, Puk, Slot
from card.piv_applet import PivApplet
from card.piv_ca import load_demo_ca
from card.virtual import PIV_ATR_WITH_TCK, VirtualPivCard, make_piv_applet
from tests.conftest import TEST_PUK, make_piv_card

PIN = "583920"


def fresh(state: str = "working") -> PivApplet:
    applet = make_piv_applet(make_piv_card(state))
    answer = applet.process(piv.select())
    assert sw(answer) == "9000"
    return applet


def sw(answer: bytes) -> str:
    return answer[-2:].hex().upper()


def read_object(applet: PivApplet, obj: int) -> bytes:
    """GET DATA, following 61xx with GET RESPONSE as a PC/SC client does."""
    answer = applet.process(piv.get_data(obj))
    data = answer[:-2]
    while answer[-2] == 0x61:
        answer = applet.process(bytes([0x00, 0xC0, 0x00, 0x00, answer[-1]]))
        data += answer[:-2]
    assert sw(answer) == "9000", sw(answer)
    return data


def test_select_answers_the_application_property_template() -> None:
    applet = make_piv_applet(make_piv_card())
    # Nothing is selected after power-on.
    assert sw(applet.process(piv.get_data(DataObject.CHUID))) == "6D00"
    answer = applet.process(piv.select())
    template = tlv.as_dict(tlv.unwrap(answer[:-2], 0x61))
    assert template[0x4F] == piv.PIX
    assert tlv.unwrap(template[0x79], 0x4F) == piv.AID[:5]
    # The right-truncated AID selects it too; an unknown AID leaves it selected.
    assert sw(applet.process(bytes.fromhex("00A4040009A00000030800001000"))) == "9000"
    assert sw(applet.process(bytes.fromhex("00A4040005F053535501"))) == "6A82"
    assert applet.selected


def test_chuid_discovery_and_certificates() -> None:
    applet = fresh()
    chuid = piv.parse_chuid(read_object(applet, DataObject.CHUID))
    assert chuid.guid == b"SSU-PIV\x00" + bytes.fromhex("5353550000000043")
    assert chuid.expiry == applet.card.expiry
    discovery = piv.parse_container(read_object(applet, DataObject.DISCOVERY))
    assert discovery[0x4F] == piv.AID
    ca = load_demo_ca()
    for slot in (Slot.PIV_AUTHENTICATION, Slot.CARD_AUTHENTICATION):
        cert = piv.parse_certificate_object(read_object(applet, piv.CERT_OBJECT[slot]))
        piv.check_certificate(cert, ca.cert, guid=chuid.guid)
    assert sw(applet.process(piv.get_data(DataObject.SECURITY_OBJECT))) == "6A82"


def test_a_certificate_comes_in_chunks_through_get_response() -> None:
    applet = fresh()
    answer = applet.process(piv.get_data(DataObject.CERT_PIV_AUTHENTICATION))
    assert answer[-2] == 0x61 and len(answer) == 256 + 2
    # Any other command in between drops the rest.
    applet.process(piv.verify_query())
    assert sw(applet.process(bytes.fromhex("00C0000000"))) == "6985"


def test_printed_information_needs_the_pin() -> None:
    applet = fresh()
    assert sw(applet.process(piv.get_data(DataObject.PRINTED_INFORMATION))) == "6982"
    assert sw(applet.process(piv.verify(PIN))) == "9000"
    assert piv.parse_printed_name(read_object(applet, DataObject.PRINTED_INFORMATION)) == (
        "Jordan Lee"
    )


def test_verify_query_counts_down_then_blocks() -> None:
    applet = fresh()
    assert sw(applet.process(piv.verify_query())) == "63C3"
    answers = [sw(applet.process(piv.verify("111222"))) for _ in range(3)]
    assert answers == ["63C2", "63C1", "63C0"]
    assert sw(applet.process(piv.verify(PIN))) == "6983"
    assert sw(applet.process(piv.verify_query())) == "6983"


def test_verified_until_reset_or_p1_ff() -> None:
    applet = fresh()
    applet.process(piv.verify(PIN))
    assert sw(applet.process(piv.verify_query())) == "9000"
    assert sw(applet.process(piv.forget_verification())) == "9000"
    assert sw(applet.process(piv.verify_query())) == "63C3"
    applet.process(piv.verify(PIN))
    card = VirtualPivCard(applet)
    assert card.handle(bytes([4])) == PIV_ATR_WITH_TCK
    assert card.handle(bytes([2])) is None  # reset: nothing verified, nothing selected
    assert not applet.pin_verified and not applet.selected


def test_a_malformed_pin_is_refused_without_spending_a_try() -> None:
    applet = fresh()
    assert (
        sw(
            applet.process(
                bytes.fromhex("0024008010") + b"583920\xff\xff" + b"12\xff" * 2 + b"\xff\xff"
            )
        )
        == "6A80"
    )
    assert applet.card.pin_tries_left == 3
    assert sw(applet.process(bytes.fromhex("002000800431323334"))) == "6700"


def test_change_pin_and_puk() -> None:
    applet = fresh()
    assert sw(applet.process(piv.change_pin("111222", "246810"))) == "63C2"
    assert sw(applet.process(piv.change_pin(PIN, "246810"))) == "9000"
    assert applet.card.pin_tries_left == 3
    assert sw(applet.process(piv.verify("246810"))) == "9000"
    assert sw(applet.process(piv.change_puk(Puk("11112222"), Puk("99887766")))) == "63C2"
    assert sw(applet.process(piv.change_puk(Puk(TEST_PUK), Puk("99887766")))) == "9000"
    assert applet.card.puk_tries_left == 3
    assert sw(applet.process(piv.change_puk(Puk(TEST_PUK), Puk("12121212")))) == "63C2"


def test_reset_retry_counter_with_the_puk() -> None:
    applet = fresh("locked")
    assert sw(applet.process(piv.verify_query())) == "6983"
    assert sw(applet.process(piv.reset_retry_counter(Puk("11112222"), "246810"))) == "63C2"
    assert sw(applet.process(piv.verify_query())) == "6983"
    assert sw(applet.process(piv.reset_retry_counter(Puk(TEST_PUK), "246810"))) == "9000"
    assert applet.card.puk_tries_left == 3
    assert sw(applet.process(piv.verify_query())) == "63C3"
    assert sw(applet.process(piv.verify("246810"))) == "9000"


def test_three_wrong_puks_block_unblocking_for_good() -> None:
    applet = fresh("locked")
    answers = [
        sw(applet.process(piv.reset_retry_counter(Puk("11112222"), "246810"))) for _ in range(3)
    ]
    assert answers == ["63C2", "63C1", "63C0"]
    assert sw(applet.process(piv.reset_retry_counter(Puk(TEST_PUK), "246810"))) == "6983"
    assert sw(applet.process(piv.change_puk(Puk(TEST_PUK), Puk("99887766")))) == "6983"
    assert sw(applet.process(piv.verify_query())) == "6983"


def _challenge() -> bytes:
    return hashlib.sha256(b"service nonce").digest()


@pytest.mark.parametrize("slot", [Slot.CARD_AUTHENTICATION, Slot.PIV_AUTHENTICATION])
def test_general_authenticate_signs_with_the_slot_key(slot: Slot) -> None:
    applet = fresh("locked" if slot is Slot.CARD_AUTHENTICATION else "working")
    command = piv.general_authenticate(slot, _challenge())
    if slot is Slot.PIV_AUTHENTICATION:
        assert sw(applet.process(command)) == "6982"
        applet.process(piv.verify(PIN))
    answer = applet.process(command)
    assert sw(answer) == "9000"
    signature = piv.parse_signature(answer[:-2])
    cert = x509.load_der_x509_certificate(applet.card.credentials.certs[slot])
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signature, b"service nonce", ec.ECDSA(hashes.SHA256()))


def test_general_authenticate_refuses_bad_templates_and_slots() -> None:
    applet = fresh()
    good = piv.general_authenticate(Slot.CARD_AUTHENTICATION, _challenge())
    assert sw(applet.process(good[:3] + b"\x9c" + good[4:])) == "6A88"
    assert sw(applet.process(good[:2] + b"\x07" + good[3:])) == "6A86"
    short = tlv.tlv(0x7C, tlv.tlv(0x82, b"") + tlv.tlv(0x81, b"\x01" * 20))
    assert sw(applet.process(bytes([0, 0x87, 0x11, 0x9E, len(short)]) + short)) == "6A80"


def test_command_chaining_joins_the_data() -> None:
    applet = fresh()
    command = piv.general_authenticate(Slot.CARD_AUTHENTICATION, _challenge())
    header, data = command[:4], command[5:-1]
    first, rest = data[:10], data[10:]
    assert sw(applet.process(b"\x10" + header[1:] + bytes([len(first)]) + first)) == "9000"
    answer = applet.process(header + bytes([len(rest)]) + rest + b"\x00")
    assert sw(answer) == "9000" and piv.parse_signature(answer[:-2])
    # A chain broken by another command is refused.
    applet.process(b"\x10" + header[1:] + bytes([len(first)]) + first)
    assert sw(applet.process(piv.verify_query())) == "6883"


def test_unknown_class_instruction_and_lengths() -> None:
    applet = fresh()
    assert sw(applet.process(bytes.fromhex("80CB3FFF00"))) == "6E00"
    assert sw(applet.process(bytes.fromhex("00FF0000"))) == "6D00"
    assert sw(applet.process(bytes.fromhex("0020"))) == "6700"
    assert sw(applet.process(bytes.fromhex("0020008005313233"))) == "6700"
    assert sw(applet.process(bytes.fromhex("0020008100"))) == "6A88"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_command_gets_a_status_word_and_never_crashes(command: bytes) -> None:
    applet = fresh()
    assert len(applet.process(command)) >= 2


def test_state_file_keeps_reference_data_never_the_pin_or_puk(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    applet = make_piv_applet(make_piv_card(), state_file=state)
    applet.process(piv.select())
    applet.process(piv.change_pin(PIN, "246810"))
    applet.process(piv.change_puk(Puk(TEST_PUK), Puk("99887766")))
    applet.process(piv.verify("111222"))
    text = state.read_text()
    for secret in (PIN, "246810", TEST_PUK, "99887766"):
        assert secret not in text and secret.encode().hex() not in text
    assert state.stat().st_mode & 0o777 == 0o600
    saved = json.loads(text)
    assert saved["pin_tries_left"] == 2 and saved["puk_tries_left"] == 3
    # A re-inserted card remembers.
    again = make_piv_applet(make_piv_card(), state_file=state)
    again.process(piv.select())
    assert sw(again.process(piv.verify_query())) == "63C2"
    assert sw(again.process(piv.verify("246810"))) == "9000"
    assert sw(again.process(piv.reset_retry_counter(Puk("99887766"), "135790"))) == "9000"


def test_secrets_never_show_in_reprs() -> None:
    card = make_piv_card()
    assert TEST_PUK not in repr(Puk(TEST_PUK)) and TEST_PUK not in str(Puk(TEST_PUK))
    text = repr(card)
    assert "583920" not in text and TEST_PUK not in text and "PRIVATE" not in text


_COMMANDS = st.sampled_from(
    [
        piv.select(),
        piv.verify_query(),
        piv.verify(PIN),
        piv.verify("111222"),
        piv.forget_verification(),
        piv.change_pin(PIN, "246810"),
        piv.change_pin("246810", PIN),
        piv.change_puk(Puk(TEST_PUK), Puk("99887766")),
        piv.change_puk(Puk("99887766"), Puk(TEST_PUK)),
        piv.reset_retry_counter(Puk(TEST_PUK), PIN),
        piv.reset_retry_counter(Puk("11112222"), PIN),
        piv.get_data(DataObject.PRINTED_INFORMATION),
        piv.general_authenticate(Slot.PIV_AUTHENTICATION, bytes(32)),
        bytes.fromhex("00C0000000"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_COMMANDS, st.binary(max_size=40)), max_size=25))
def test_any_sequence_keeps_the_counters_honest(commands: list[bytes]) -> None:
    applet = fresh()
    for command in commands:
        before = (applet.card.pin_tries_left, applet.card.puk_tries_left)
        answer = sw(applet.process(command))
        card = applet.card
        assert 0 <= card.pin_tries_left <= 3 and 0 <= card.puk_tries_left <= 3
        if before[1] == 0:
            assert card.puk_tries_left == 0  # a blocked PUK never comes back
        if answer == "9000" and command[1:2] == b"\x87" and command[3] == Slot.PIV_AUTHENTICATION:
            assert applet.pin_verified  # 9A never signs without the PIN
        if card.pin_tries_left == 0:
            assert not applet.pin_verified
