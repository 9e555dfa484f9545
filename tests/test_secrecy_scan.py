"""The secrecy scan itself must find what it looks for (a scan that cannot fail is no proof)."""

from __future__ import annotations

from pathlib import Path

from card import apdu
from card.keys import aes_cmac, load_dev_keys
from card.virtual import make_applet
from tests.conftest import make_card
from tests.secrecy import recording_cryptograms, scan
from tests.support import mailed_codes


def test_scan_finds_text_and_binary_forms(tmp_path: Path) -> None:
    (tmp_path / "kiosk.log").write_text("2026 answer was Cornwall\n")
    cryptogram = bytes(range(16))
    (tmp_path / "kiosk.sqlite-wal").write_bytes(b"\x00junk" + cryptogram + b"\x01")
    hits = scan([tmp_path], {"cornwall", cryptogram.hex(), "48392011"})
    assert sorted(hits) == ["kiosk.log: co…", "kiosk.sqlite-wal: 00…"]


def test_scan_is_clean_on_clean_files(tmp_path: Path) -> None:
    (tmp_path / "kiosk.log").write_text("card read, 3 tries left\n")
    assert scan([tmp_path], {"48392011", "biscuit"}) == []


def test_cryptograms_sent_to_a_card_are_recorded() -> None:
    applet = make_applet(make_card("locked"))
    key = load_dev_keys().card_keys(applet.card.serial).unblock
    with recording_cryptograms() as seen:
        applet.process(apdu.select())
        challenge = applet.process(apdu.get_challenge())[:-2]
        applet.process(apdu.reset_retry_counter(aes_cmac(key, challenge), "246801"))
    assert seen == [aes_cmac(key, challenge)]


def test_a_passcode_by_chance_inside_a_hash_is_not_a_leak(tmp_path: Path) -> None:
    # Seen in a real run: an idempotency record's keyed fingerprint held 483920.
    (tmp_path / "db").write_bytes(
        b"POST/v1/audit680d9a5b04783289736533ab2cc37091609425e1ed28b67483920f601e9c3b7frunning"
    )
    assert scan([tmp_path], {"483920"}) == []


def test_a_passcode_stored_beside_other_text_is_a_leak(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"kioskregistration483920abcdef")
    (tmp_path / "b").write_bytes(b"\x00483920\x00")
    (tmp_path / "c").write_bytes(b"680d9a5b04783289736533ab2cc37091483920")  # hex on one side only
    assert scan([tmp_path], {"483920"}) == ["a: 48…", "b: 48…", "c: 48…"]


def test_codes_are_found_as_mailed_and_bare_but_not_in_phone_numbers() -> None:
    mail = (
        "Your unlock code is: 3570 5426\nor 81234567.\n"
        "Call 0300 5610429, 0300 123 4567, 020 7946 0958 or 0300 1234 5678, text "
        "07700 900123, until 30 Nov 2026 07:21."
    )
    assert mailed_codes(mail) == ["35705426", "81234567"]
    assert mailed_codes(mail.encode()) == ["35705426", "81234567"]
