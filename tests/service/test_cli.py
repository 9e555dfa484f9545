"""The service's command line (docs/api.md): seed-demo, kiosk add, ra, audit export, settings."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import httpx
import pytest

from service.cli import main as cli_main
from service.settings import CONFIG_DIR, load_settings
from tests.service.conftest import RunningService


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert cli_main(list(argv)) == 0
    return capsys.readouterr().out


def test_seed_demo_is_fixed_and_idempotent(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSU_SERVICE_ARGON2__TIME_COST", "1")
    monkeypatch.setenv("SSU_SERVICE_ARGON2__MEMORY_COST", "8")
    monkeypatch.setenv("SSU_SERVICE_ARGON2__PARALLELISM", "1")
    db = db_url
    first = json.loads(run(capsys, "seed-demo", "--db", db))
    second = json.loads(run(capsys, "seed-demo", "--db", db))
    assert first == second
    with open(CONFIG_DIR / "demo-holders.toml", "rb") as f:
        fixed = tomllib.load(f)
    assert first["kiosk_token"] == fixed["demo_kiosk_token"]
    by_state = {(h["registered"], h["card_state"]) for h in first["holders"]}
    assert {(True, "locked"), (True, "working"), (False, "working")} <= by_state
    for holder in first["holders"]:
        assert set(holder) == {
            "key",
            "profile",
            "uuid",
            "serial",
            "name",
            "email",
            "mobile",
            "pin",
            "card_state",
            "registered",
            "answers",
            "ra_role",
        }
        # Without --demo the PIV holders (demo card CA) are left out.
        assert holder["profile"] == "own"
        assert len(holder["uuid"]) == 12 and len(holder["serial"]) == 16
        assert bool(holder["answers"]) == holder["registered"]
    shown = json.loads(run(capsys, "ra", "show", first["holders"][0]["uuid"], "--db", db))
    assert shown["registered"] is True and shown["locked"] is False
    assert "answers" not in shown


def test_kiosk_add_token_works(
    live_service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    db = live_service.service.settings.db
    token = run(capsys, "kiosk", "add", "ward 12", "--db", db).strip()
    assert len(token) >= 32
    response = httpx.post(
        f"{live_service.url}/v1/nonces", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_audit_export_since(
    live_service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    db = live_service.service.settings.db
    lines = run(capsys, "audit", "export", "--db", db).splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["type"] for r in records} >= {"demo_holder_added", "kiosk_added"}
    later = run(capsys, "audit", "export", "--since", "2999-01-01T00:00:00Z", "--db", db)
    assert later == ""


def test_unknown_holder_for_ra_tools(db_url: str) -> None:
    db = db_url
    assert cli_main(["ra", "show", "999999999999", "--db", db]) == 1
    assert cli_main(["ra", "clear-lock", "999999999999", "--db", db]) == 1


def test_settings_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "service.toml"
    config.write_text('port = 9001\nsmtp_port = 2525\napproved_domains = ["nhs.net"]\n')
    monkeypatch.setenv("SSU_SERVICE_SMTP_PORT", "2626")
    settings = load_settings(config, port=None, db="sqlite:///x.db")
    assert settings.port == 9001  # file
    assert settings.smtp_port == 2626  # environment beats file
    assert settings.db == "sqlite:///x.db"  # flag beats all
    assert settings.approved_domains == ["nhs.net"]
    assert load_settings(config, port=8123).port == 8123


def test_holder_add(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = db_url
    argv = [
        "holder",
        "add",
        "--uuid",
        "123456789012",
        "--serial",
        "A1B2C3D4E5F60718",
        "--name",
        "Kim Lee",
        "--email",
        "kim.lee@nhs.net",
        "--mobile",
        "07700900123",
        "--db",
        db,
    ]
    run(capsys, *argv)
    assert cli_main(argv) == 1  # already bound
    shown = json.loads(run(capsys, "ra", "show", "123456789012", "--db", db))
    assert shown["serial"] == "a1b2c3d4e5f60718" and shown["registered"] is False
    # A PIV card is named by its 32-hex GUID; other lengths, and all zeros, are refused.
    guid = "53535520504956000102030405060799"
    piv = [*argv[:3], "123456789013", "--serial", guid.upper(), *argv[6:]]
    piv[piv.index("07700900123")] = "07700900124"
    run(capsys, *piv)
    shown = json.loads(run(capsys, "ra", "show", "123456789013", "--db", db))
    assert shown["serial"] == guid
    for bad in ("A1B2C3D4E5F607", "A1B2C3D4E5F60718" + "00" * 4, "0" * 32):
        refused = [*argv[:3], "123456789014", "--serial", bad, *argv[6:]]
        assert cli_main(refused) == 1
        assert "serial" in capsys.readouterr().err


def test_bad_settings_are_refused_in_one_line_each_without_their_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong value names its setting and why, never the value (it may be a secret)."""
    config = tmp_path / "service.toml"
    config.write_text('smtp_password = 12345\n[throttle]\nper_kiosk = "lots-of-them"\n')
    assert cli_main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "ssu-service: setting smtp_password:" in err
    assert "ssu-service: setting throttle.per_kiosk:" in err
    assert "12345" not in err and "lots-of-them" not in err
    assert "Traceback" not in err


def test_a_settings_file_that_is_not_there_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["serve", "--config", str(tmp_path / "absent.toml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_ra_roles_and_ra_desks_from_the_command_line(
    live_service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    db = live_service.service.settings.db
    priya = live_service.holder("working")
    assert json.loads(run(capsys, "ra", "show", priya["uuid"], "--db", db))["ra_role"] is None
    run(capsys, "ra", "grant", priya["uuid"], "--db", db)
    assert json.loads(run(capsys, "ra", "show", priya["uuid"], "--db", db))["ra_role"] == "ra"
    run(capsys, "ra", "grant", priya["uuid"], "--role", "manager", "--db", db)
    assert json.loads(run(capsys, "ra", "show", priya["uuid"], "--db", db))["ra_role"] == "manager"
    run(capsys, "ra", "revoke", priya["uuid"], "--db", db)
    assert json.loads(run(capsys, "ra", "show", priya["uuid"], "--db", db))["ra_role"] is None
    assert cli_main(["ra", "grant", "999999999999", "--db", db]) == 1
    with pytest.raises(SystemExit):
        cli_main(["ra", "grant", priya["uuid"], "--role", "admin", "--db", db])

    run(capsys, "kiosk", "add", "desk-2", "--ra-desk", "--db", db)
    run(capsys, "kiosk", "add", "ward-9", "--db", db)
    listed = [json.loads(line) for line in run(capsys, "kiosk", "list", "--db", db).splitlines()]
    desks = {k["name"]: k["ra_desk"] for k in listed}
    assert desks["desk-2"] is True and desks["ward-9"] is False
    kinds = [r["type"] for r in live_service.service.export_audit()]
    assert kinds.count("ra_role_granted") == 2 and kinds.count("ra_role_revoked") == 1
