"""Conformance of the virtual PIV card, judged by OpenSC (Debian `opensc`).

The real tools, on the private pcscd (PCSCLITE_CSOCK_NAME is set for the whole
session by the `pcscd` fixture and inherited here), with HOME in a temporary
directory so OpenSC's file cache never serves one test's card to another.
Whatever OpenSC refuses is a defect of the virtual card.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from card import apdu, piv
from card.apdu import PinState
from card.piv import Puk, Slot
from card.piv_applet import PivPersonalisation
from card.piv_ca import load_demo_ca
from card.profiles import PivProfile, open_profile
from tests.conftest import READER, TEST_PUK, InsertCard, make_piv_card

pytestmark = pytest.mark.pcsc

PIN = "583920"
PKCS11_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
)


Tool = Callable[..., "subprocess.CompletedProcess[str]"]


def pkcs11_module() -> str:
    for path in PKCS11_CANDIDATES:
        if os.path.exists(path):
            return path
    raise AssertionError("OpenSC's PKCS#11 module is missing: install the opensc package")


@pytest.fixture
def tool(tmp_path: Path, live_pcscd: object) -> Tool:
    """Run an OpenSC tool against the private pcscd; returns the finished process."""
    env = dict(os.environ, HOME=str(tmp_path), OPENSC_DEBUG="0")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(args), env=env, capture_output=True, text=True, timeout=60, check=False
        )
        if check:
            assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"
        return done

    return run


def verify_pin(tool: Tool, pin: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """pkcs15-tool verifies the PIV PIN."""
    return tool("pkcs15-tool", "--verify-pin", "--auth-id", "01", "--pin", pin, check=check)


def unblock_pin(
    tool: Tool, puk: str, new_pin: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """pkcs15-tool unblocks the PIV PIN with the PUK, setting new_pin."""
    return tool(
        "pkcs15-tool",
        "--unblock-pin",
        "--auth-id",
        "01",
        "--puk",
        puk,
        "--new-pin",
        new_pin,
        check=check,
    )


@pytest.fixture
def inserted_piv(insert_card: InsertCard) -> PivPersonalisation:
    """A working PIV card with the test defaults, in the reader."""
    personalisation = make_piv_card()
    insert_card(personalisation)
    return personalisation


def piv_card() -> PivProfile:
    card = open_profile()
    assert isinstance(card, PivProfile)
    return card


def test_opensc_tool_names_it_a_piv_card(insert_card: InsertCard, tool: Tool) -> None:
    insert_card(make_piv_card())
    readers = tool("opensc-tool", "--list-readers").stdout
    assert READER in readers
    atr = tool("opensc-tool", "--atr").stdout.strip().splitlines()[-1]
    assert atr.replace(":", "").upper().startswith("3B8C8001")
    assert "Personal Identity Verification Card" in tool("opensc-tool", "-n").stdout


def test_pkcs15_tool_lists_pin_puk_and_reads_both_certificates(
    inserted_piv: PivPersonalisation,
    tool: Tool,
    tmp_path: Path,
) -> None:
    dump = tool("pkcs15-tool", "--dump").stdout
    assert "PIN [PIN]" in dump and "PIN [PIV PUK]" in dump
    assert "Reference      : 128 (0x80)" in dump and "Reference      : 129 (0x81)" in dump
    assert "Private EC Key [PIV AUTH key]" in dump and "Private EC Key [CARD AUTH key]" in dump
    assert inserted_piv.guid.hex() in dump.lower()  # the token serial is the GUID
    listed = tool("pkcs15-tool", "--list-certificates").stdout
    assert "Certificate for PIV Authentication" in listed
    assert "Certificate for Card Authentication" in listed
    for cert_id, slot in (("01", Slot.PIV_AUTHENTICATION), ("04", Slot.CARD_AUTHENTICATION)):
        out = tmp_path / f"{cert_id}.pem"
        tool("pkcs15-tool", "--read-certificate", cert_id, "--output", str(out))
        cert = x509.load_pem_x509_certificate(out.read_bytes())
        assert cert == x509.load_der_x509_certificate(inserted_piv.credentials.certs[slot])
        piv.check_certificate(cert, load_demo_ca().cert, guid=inserted_piv.guid)


def test_pkcs15_tool_verifies_the_pin_and_counts_a_wrong_one(
    insert_card: InsertCard, tool: Tool
) -> None:
    vcard = insert_card(make_piv_card())
    verify_pin(tool, PIN)
    wrong = verify_pin(tool, "111222", check=False)
    assert wrong.returncode != 0
    assert vcard.applet.card.pin_tries_left == 2
    with piv_card() as card:
        assert card.pin_status() == apdu.PinStatus(PinState.WORKING, 2)


def test_pkcs15_tool_unblocks_a_blocked_pin_with_the_puk(
    insert_card: InsertCard, tool: Tool
) -> None:
    insert_card(make_piv_card("locked"))
    blocked = verify_pin(tool, PIN, check=False)
    assert blocked.returncode != 0
    unblock_pin(tool, TEST_PUK, "246810")
    verify_pin(tool, "246810")
    with piv_card() as card:
        card.verify("246810")


def test_pkcs15_tool_changes_pin_and_puk_and_the_profile_agrees(
    insert_card: InsertCard,
    tool: Tool,
) -> None:
    insert_card(make_piv_card())
    tool("pkcs15-tool", "--change-pin", "--auth-id", "01", "--pin", PIN, "--new-pin", "246810")
    tool(
        "pkcs15-tool", "--change-pin", "--auth-id", "02", "--pin", TEST_PUK, "--new-pin", "90817263"
    )
    with piv_card() as card:
        card.verify("246810")
        card.rotate_puk(Puk("90817263"), Puk("90817263"))  # the new PUK is the card's now


def test_pkcs11_signs_with_the_9a_key_after_login(
    inserted_piv: PivPersonalisation,
    tool: Tool,
    tmp_path: Path,
) -> None:
    module = pkcs11_module()
    objects = tool("pkcs11-tool", "--module", module, "--list-objects").stdout
    assert "Certificate for PIV Authentication" in objects
    assert "Certificate for Card Authentication" in objects
    message = tmp_path / "message"
    message.write_bytes(b"signed through OpenSC's PKCS#11 module")
    signature = tmp_path / "signature"
    tool(
        "pkcs11-tool",
        "--module",
        module,
        "--login",
        "--pin",
        PIN,
        "--sign",
        "--id",
        "01",
        "--mechanism",
        "ECDSA-SHA256",
        "--signature-format",
        "openssl",
        "--input-file",
        str(message),
        "--output-file",
        str(signature),
    )
    cert = x509.load_der_x509_certificate(inserted_piv.credentials.certs[Slot.PIV_AUTHENTICATION])
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signature.read_bytes(), message.read_bytes(), ec.ECDSA(hashes.SHA256()))


def test_pkcs11_refuses_the_9a_key_without_the_pin(
    insert_card: InsertCard,
    tool: Tool,
    tmp_path: Path,
) -> None:
    insert_card(make_piv_card())
    message = tmp_path / "message"
    message.write_bytes(b"no login")
    refused = tool(
        "pkcs11-tool",
        "--module",
        pkcs11_module(),
        "--sign",
        "--id",
        "01",
        "--mechanism",
        "ECDSA-SHA256",
        "--input-file",
        str(message),
        "--output-file",
        str(tmp_path / "signature"),
        check=False,
    )
    assert refused.returncode != 0


def test_after_the_profile_unblocks_opensc_takes_the_new_pin_and_refuses_the_old_puk(
    insert_card: InsertCard, tool: Tool
) -> None:
    vcard = insert_card(make_piv_card("locked"))
    old, fresh = Puk(TEST_PUK), Puk("90817263")
    with piv_card() as card, card.session.transaction():
        card.unblock_with_puk(old, "246810")
        card.rotate_puk(old, fresh)
    verify_pin(tool, "246810")
    reused = unblock_pin(tool, TEST_PUK, "135790", check=False)
    assert reused.returncode != 0
    assert vcard.applet.card.puk_tries_left == 2
    verify_pin(tool, "246810")
