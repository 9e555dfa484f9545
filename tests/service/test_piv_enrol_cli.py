"""`ssu-service card enrol` (docs/api.md): a PIV card bound to its holder, its PUK escrowed.

Run on both stores, with the card's certificates as an enrolment station reads them
(PEM from `ykman piv certificates export`, or DER), and the PUK from a file: never
printed, never in the audit, sealed in the store; refusals say why, not the PUK.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_der_x509_certificate
from sqlalchemy import select

from card.keys import write_master_keys
from card.piv import Slot
from card.piv_ca import demo_credentials
from service.cli import main as cli_main
from service.domain import puk_escrow
from service.store import open_engine
from service.tables import puk_escrow as escrow_table

GUID = bytes.fromhex("53535520454e524f4c000000000000aa")
UUID = "555000000077"
PUK = "80461357"


def card_files(tmp_path: Path, uuid: str = UUID) -> dict[str, Path]:
    creds = demo_credentials(guid=GUID, uuid=uuid, name="Robin Vale", expiry=dt.date(2030, 1, 1))
    files = {"card": tmp_path / "9e.pem", "holder": tmp_path / "9a.der", "puk": tmp_path / "puk"}
    card_pem = load_der_x509_certificate(creds.certs[Slot.CARD_AUTHENTICATION]).public_bytes(
        serialization.Encoding.PEM
    )
    files["card"].write_bytes(card_pem)
    files["holder"].write_bytes(creds.certs[Slot.PIV_AUTHENTICATION])
    files["puk"].write_text(PUK + "\n")
    return files


def enrol(db_url: str, files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "card",
        "enrol",
        "--db",
        db_url,
        "--uuid",
        UUID,
        "--name",
        "Robin Vale",
        "--email",
        "robin.vale@nhs.net",
        "--mobile",
        "07700900077",
        "--card-cert",
        str(files["card"]),
        "--holder-cert",
        str(files["holder"]),
        "--puk-file",
        str(files["puk"]),
        *extra,
    ]


def test_card_enrol_binds_the_card_and_seals_its_puk(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = card_files(tmp_path)
    # Without keys it refuses (the escrow is sealed under the real masters).
    assert cli_main(enrol(db_url, files)) == 2
    assert PUK not in capsys.readouterr().err
    assert cli_main(enrol(db_url, files, "--demo")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"uuid": UUID, "guid": GUID.hex(), "profile": "piv"}
    assert PUK not in out + err
    # A second enrolment of the card is refused, saying why and never the PUK.
    assert cli_main(enrol(db_url, files, "--demo")) == 1
    out, err = capsys.readouterr()
    assert "already enrolled" in err and PUK not in out + err

    engine = open_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(select(escrow_table)).one()
    assert row.guid == GUID.hex() and PUK not in row.puk
    from card.keys import load_dev_keys

    assert puk_escrow.unseal(load_dev_keys(), GUID.hex(), row.puk).reveal() == PUK
    assert cli_main(["audit", "export", "--db", db_url]) == 0
    exported = capsys.readouterr().out
    assert "piv_card_enrolled" in exported and PUK not in exported
    engine.dispose()


def test_card_enrol_refuses_a_card_of_another_holder_or_ca(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The 9A certificate names another holder.
    files = card_files(tmp_path, uuid="555000000078")
    assert cli_main(enrol(db_url, files, "--demo")) == 1
    assert "another holder" in capsys.readouterr().err
    # Real keys, no card CA configured: nothing to check the certificates against.
    from card.keys import MasterKeys

    keys = write_master_keys(
        tmp_path / "keys.toml", MasterKeys(b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)
    )
    files = card_files(tmp_path)
    assert cli_main(enrol(db_url, files, "--keys", str(keys))) == 1
    err = capsys.readouterr().err
    assert "no card CA" in err and PUK not in err
