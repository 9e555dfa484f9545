"""The card-profile seam through pyscard on the private pcscd: both profiles, same questions."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

import pytest
from cryptography import x509

from card import apdu, piv
from card.apdu import PinState
from card.keys import aes_cmac, load_dev_keys
from card.piv import ProofRejected, Puk, Slot
from card.piv_ca import load_demo_ca, make_ca
from card.profiles import (
    KeyRole,
    OwnProfile,
    PivProfile,
    ProfileName,
    UnblockMethod,
    UnknownCard,
    detect_profile,
    open_profile,
)
from card.reader import CardSession
from card.virtual import VirtualCard, VirtualPivCard
from tests.card.blocking import three_wrong_block
from tests.conftest import TEST_PUK, InsertCard, make_card, make_piv_card

pytestmark = pytest.mark.pcsc

PIN = "583920"
NONCE = bytes(range(16))


def piv_profile() -> PivProfile:
    profile = open_profile()
    assert isinstance(profile, PivProfile)
    return profile


def test_the_own_applet_is_found_and_answers_as_before(insert_card: InsertCard) -> None:
    vcard = insert_card(make_card("working"))
    with open_profile() as card:
        assert isinstance(card, OwnProfile)
        assert card.name is ProfileName.OWN and card.unblock_method is UnblockMethod.CRYPTOGRAM
        who = card.identity()
        assert (who.serial_hex, who.uuid, who.name) == (
            "5353550000000042",
            "555000000042",
            "Priya Shah",
        )
        assert card.pin_status().tries_left == 3
        keys = load_dev_keys().card_keys(vcard.applet.card.serial)
        proof = card.prove_card(NONCE)
        assert proof.role is KeyRole.CARD and proof.value == aes_cmac(keys.card_auth, NONCE)
        card.verify(PIN)
        assert card.prove_holder(NONCE).value == aes_cmac(keys.holder_auth, NONCE)


def test_a_piv_card_is_found_by_its_aid(insert_card: InsertCard) -> None:
    insert_card(make_piv_card())
    with CardSession.open(select=False) as session:
        card = detect_profile(session)
        assert isinstance(card, PivProfile)
        assert card.name is ProfileName.PIV and card.unblock_method is UnblockMethod.PUK
        assert card.template[0] == 0x61
    # The unlock applet's own door still says plainly it is not one of ours.
    with pytest.raises(apdu.AppletNotFound):
        CardSession.open()


class Stranger(VirtualCard):
    def handle(self, payload: bytes) -> bytes | None:
        if len(payload) > 1:
            return bytes.fromhex("6A82")
        return super().handle(payload)


def test_a_card_with_neither_application_is_unknown(insert_card: InsertCard) -> None:
    insert_card(make_card(), cls=Stranger)
    with pytest.raises(UnknownCard):
        open_profile()


def test_piv_identity_and_pin_state(insert_card: InsertCard) -> None:
    personalisation = make_piv_card()
    insert_card(personalisation)
    with piv_profile() as card:
        who = card.identity()
        assert who.profile is ProfileName.PIV
        assert who.serial == b"SSU-PIV\x00" + bytes.fromhex("5353550000000043")
        assert who.serial_hex == "5353552d504956005353550000000043"
        assert who.uuid == "555000000043" and who.name == "Jordan Lee"
        assert who.expiry == personalisation.expiry
        status = card.pin_status()
        assert status.state is PinState.WORKING and status.tries_left == 3
        with pytest.raises(apdu.SecurityNotSatisfied):
            card.printed_name()
        card.verify(PIN)
        assert card.pin_status().state is PinState.VERIFIED
        assert card.printed_name() == "Jordan Lee"
        card.forget_verification()
        assert card.pin_status().state is PinState.WORKING


def test_wrong_pins_count_down_then_block(insert_card: InsertCard) -> None:
    insert_card(make_piv_card())
    with piv_profile() as card:
        three_wrong_block(card.verify, PIN)
        assert card.pin_status() == apdu.PinStatus(PinState.BLOCKED, 0)


def test_card_proof_on_a_locked_card_is_verified_against_the_card_ca(
    insert_card: InsertCard,
) -> None:
    insert_card(make_piv_card("locked"))
    ca = load_demo_ca().cert
    with piv_profile() as card:
        guid = card.identity().serial
        proof = card.prove_card(NONCE)
    assert proof.role is KeyRole.CARD and proof.certificate is not None
    cert = piv.verify_signature_proof(NONCE, proof.value, proof.certificate, ca, guid=guid)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == (
        "Card Authentication"
    )
    with pytest.raises(ProofRejected, match="signature"):
        piv.verify_signature_proof(b"another nonce", proof.value, proof.certificate, ca)
    with pytest.raises(ProofRejected, match="another card"):
        piv.verify_signature_proof(NONCE, proof.value, proof.certificate, ca, guid=bytes(16))
    _, stranger_ca = make_ca(
        "Someone else's CA",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2045, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(ProofRejected, match="not issued by the card CA"):
        piv.verify_signature_proof(NONCE, proof.value, proof.certificate, stranger_ca)


def test_an_expired_card_certificate_is_refused(insert_card: InsertCard) -> None:
    insert_card(make_piv_card("expired"))
    with piv_profile() as card:
        proof = card.prove_card(NONCE)
    assert proof.certificate is not None
    with pytest.raises(ProofRejected, match="not valid now"):
        piv.verify_signature_proof(NONCE, proof.value, proof.certificate, load_demo_ca().cert)


def test_holder_proof_needs_the_pin(insert_card: InsertCard) -> None:
    insert_card(make_piv_card())
    ca = load_demo_ca().cert
    with piv_profile() as card:
        with pytest.raises(apdu.SecurityNotSatisfied):
            card.prove_holder(NONCE)
        card.verify(PIN)
        proof = card.prove_holder(NONCE)
    assert proof.role is KeyRole.HOLDER and proof.certificate is not None
    cert = piv.verify_signature_proof(NONCE, proof.value, proof.certificate, ca)
    assert cert.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value == "555000000043"
    assert PIN not in repr(proof)


def test_change_pin(insert_card: InsertCard) -> None:
    insert_card(make_piv_card())
    with piv_profile() as card:
        with pytest.raises(apdu.WrongPin) as info:
            card.change_passcode("111222", "246810")
        assert info.value.tries_left == 2
        card.change_passcode(PIN, "246810")
        card.forget_verification()
        card.verify("246810")
        with pytest.raises(apdu.WrongPin):
            card.verify(PIN)


def test_unblock_with_the_puk_then_rotate_it(insert_card: InsertCard) -> None:
    vcard = insert_card(make_piv_card("locked"))
    old, new = Puk(TEST_PUK), Puk("90817263")
    with piv_profile() as card, card.session.transaction():
        assert card.pin_status().blocked
        card.unblock_with_puk(old, "246810")
        card.rotate_puk(old, new)
        assert card.pin_status() == apdu.PinStatus(PinState.WORKING, 3)
        card.verify("246810")
    # The released PUK is worth nothing now: one try spent, and it is refused.
    with piv_profile() as card:
        with pytest.raises(piv.WrongPuk) as info:
            card.unblock_with_puk(old, "135790")
        assert info.value.tries_left == 2
        card.unblock_with_puk(new, "135790")  # the fresh one works, and refills the counter
    assert vcard.applet.card.puk_tries_left == 3


def test_wrong_puks_count_down_and_then_the_card_is_beyond_unblocking(
    insert_card: InsertCard,
) -> None:
    insert_card(make_piv_card("locked"))
    with piv_profile() as card:
        for left in (2, 1):
            with pytest.raises(piv.WrongPuk) as info:
                card.unblock_with_puk(Puk("11112222"), "246810")
            assert info.value.tries_left == left
        with pytest.raises(piv.PukBlocked):
            card.unblock_with_puk(Puk("11112222"), "246810")
        with pytest.raises(piv.PukBlocked):
            card.unblock_with_puk(Puk(TEST_PUK), "246810")
        assert card.pin_status().blocked


def test_a_dead_card_says_so(insert_card: InsertCard) -> None:
    insert_card(make_piv_card("dead"))
    with piv_profile() as card, pytest.raises(piv.PukBlocked):
        card.unblock_with_puk(Puk(TEST_PUK), "246810")


@pytest.mark.parametrize("rotated", [True, False])
def test_settle_puk_after_an_interrupted_rotation_spends_at_most_one_try(
    insert_card: InsertCard, rotated: bool
) -> None:
    vcard = insert_card(make_piv_card("locked"))
    old, new = Puk(TEST_PUK), Puk("90817263")
    with piv_profile() as card:
        card.unblock_with_puk(old, "246810")
        if rotated:
            card.rotate_puk(old, new)  # ... and the answer was lost
        spent: list[int] = []
        original = vcard.applet._check_puk

        def counting(block: bytes) -> int:
            result = original(block)
            if result != 0x9000:
                spent.append(result)
            return result

        vcard.applet._check_puk = counting  # type: ignore[method-assign]
        assert card.settle_puk(old, new) == new
    # The old PUK is tried first: free when the card still held it, one try (which
    # proves the card holds the new one) when the rotation had reached it.
    assert len(spent) == (1 if rotated else 0)
    assert vcard.applet.card.puk_tries_left == (2 if rotated else 3)
    with piv_profile() as card:
        card.unblock_with_puk(new, "135790")  # the new PUK accepted refills the counter
    assert vcard.applet.card.puk_tries_left == 3


def test_secrets_are_not_in_errors_or_reprs(insert_card: InsertCard) -> None:
    insert_card(make_piv_card("locked"))
    with piv_profile() as card:
        with pytest.raises(piv.WrongPuk) as info:
            card.unblock_with_puk(Puk("11112222"), "246810")
    text = f"{info.value!s} {info.value!r} {Puk('11112222')!r}"
    assert "11112222" not in text and "246810" not in text
    assert Slot.CARD_AUTHENTICATION == 0x9E


class Unpersonalised(VirtualPivCard):
    """A PIV card fresh from the factory: no CHUID, no certificates."""

    def handle(self, payload: bytes) -> bytes | None:
        if len(payload) > 1 and payload[1] == piv.Ins.GET_DATA:
            return bytes.fromhex("6A82")
        return super().handle(payload)


def test_a_piv_card_without_a_chuid_says_what_is_missing(insert_card: InsertCard) -> None:
    insert_card(make_piv_card(), cls=Unpersonalised)
    with piv_profile() as card, pytest.raises(apdu.DataNotFound, match="no PIV CHUID"):
        card.identity()


def test_no_pin_or_puk_reaches_a_log(
    insert_card: InsertCard, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    insert_card(make_piv_card("locked"))
    old, fresh = Puk(TEST_PUK), Puk("90817263")
    with piv_profile() as card, card.session.transaction():
        with pytest.raises(piv.WrongPuk):
            card.unblock_with_puk(Puk("11112222"), "246810")
        card.unblock_with_puk(old, "246810")
        card.rotate_puk(old, fresh)
        card.verify("246810")
        card.change_passcode("246810", "135790")
    logged = caplog.text
    for secret in (TEST_PUK, "90817263", "11112222", "246810", "135790"):
        assert secret not in logged and secret.encode().hex() not in logged.lower()


def test_the_service_can_check_proofs_without_pyscard() -> None:
    # card.piv and card.piv_ca are what the unlock service imports (proof checks,
    # the card CA); the service must not pull in pyscard through them.
    code = "import sys, card.piv, card.piv_ca; sys.exit('smartcard' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_unblock_and_rotate_in_one_transaction(insert_card: InsertCard) -> None:
    vcard = insert_card(make_piv_card("locked"))
    with piv_profile() as card:
        card.unblock_and_rotate(Puk(TEST_PUK), Puk("90817263"), "246810")
        card.verify("246810")
        with pytest.raises(piv.WrongPuk):
            card.rotate_puk(Puk(TEST_PUK), Puk(TEST_PUK))
    assert vcard.applet.card.puk_tries_left == 2
