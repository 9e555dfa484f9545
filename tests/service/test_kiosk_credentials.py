"""Kiosk credentials an operator can manage: list, revoke, rotate (issue 13 item 2).

Through the command line a deployment uses, against the service over real HTTP,
with a second instance on the same store to show nothing is cached per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from card.keys import MasterKeys
from service.cli import main as cli_main
from service.settings import ServiceSettings
from tests.service.conftest import MovableClock, RunningService, start_service

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert cli_main(list(argv)) == 0
    return capsys.readouterr().out


def nonce_status(url: str, token: str) -> int:
    response = httpx.post(f"{url}/v1/nonces", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


@pytest.fixture
def second_instance(
    live_service: RunningService, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    """Another service instance on the same store (it adds kiosks of its own)."""
    settings: ServiceSettings = live_service.service.settings
    with start_service(settings, masters, clock) as running:
        yield running


def kiosk_list(capsys: pytest.CaptureFixture[str], db: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in run(capsys, "kiosk", "list", "--db", db).splitlines()]


def test_a_revoked_token_is_refused_at_once_on_every_instance(
    live_service: RunningService,
    second_instance: RunningService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = live_service.service.settings.db
    token = live_service.tokens["ward-7"]
    assert nonce_status(live_service.url, token) == 201
    assert nonce_status(second_instance.url, token) == 201
    # Two kiosks are named ward-7 now (one per instance's set-up): revoke by id.
    kiosk_id = next(
        k["id"] for k in kiosk_list(capsys, db) if k["name"] == "ward-7" and not k["revoked_at"]
    )
    assert cli_main(["kiosk", "revoke", "ward-7", "--db", db]) == 1  # ambiguous name
    assert f"kiosk {kiosk_id} revoked" in run(capsys, "kiosk", "revoke", str(kiosk_id), "--db", db)
    assert nonce_status(live_service.url, token) == 401
    assert nonce_status(second_instance.url, token) == 401
    # The other kiosks are untouched.
    assert nonce_status(live_service.url, live_service.tokens["ra-desk"]) == 201
    listed = {k["id"]: k for k in kiosk_list(capsys, db)}
    assert listed[kiosk_id]["revoked_at"]
    assert cli_main(["kiosk", "revoke", str(kiosk_id), "--db", db]) == 1  # already revoked
    assert cli_main(["kiosk", "rotate", str(kiosk_id), "--db", db]) == 1  # stays revoked


def test_rotate_prints_a_new_token_once_and_the_old_one_stops_working(
    live_service: RunningService,
    second_instance: RunningService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = live_service.service.settings.db
    old = live_service.tokens["ra-desk"]
    assert nonce_status(live_service.url, old) == 201
    # The ra-desk kiosk the first instance added: the older of the two (listed first).
    kiosk_id = [k["id"] for k in kiosk_list(capsys, db) if k["name"] == "ra-desk"][0]
    new = run(capsys, "kiosk", "rotate", str(kiosk_id), "--db", db).strip()
    assert len(new) >= 32 and new != old
    for url in (live_service.url, second_instance.url):
        assert nonce_status(url, old) == 401
        assert nonce_status(url, new) == 201
    # The token is shown once: nothing lists it, nor its hash.
    listing = run(capsys, "kiosk", "list", "--db", db)
    assert new not in listing and old not in listing
    for kiosk in kiosk_list(capsys, db):
        assert set(kiosk) == {"id", "name", "demo", "created_at", "revoked_at", "ra_desk"}


def test_every_change_is_audited_without_a_token(
    live_service: RunningService, capsys: pytest.CaptureFixture[str]
) -> None:
    db = live_service.service.settings.db
    kiosks = {k["name"]: k["id"] for k in kiosk_list(capsys, db)}
    new = run(capsys, "kiosk", "rotate", str(kiosks["ra-desk"]), "--db", db).strip()
    run(capsys, "kiosk", "revoke", str(kiosks["ward-7"]), "--db", db)
    exported = run(capsys, "audit", "export", "--db", db)
    records = [json.loads(line) for line in exported.splitlines()]
    by_type = {r["type"]: r for r in records}
    assert by_type["kiosk_rotated"]["detail"]["kiosk_name"] == "ra-desk"
    assert by_type["kiosk_revoked"]["detail"]["kiosk_name"] == "ward-7"
    for token in (new, *live_service.tokens.values()):
        assert token not in exported


def test_api_md_names_every_command_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    section = API_MD.read_text().split("## The service's command line")[1]

    def help_of(*argv: str) -> str:
        capsys.readouterr()
        with pytest.raises(SystemExit):
            cli_main([*argv, "--help"])
        return capsys.readouterr().out

    def choices(text: str) -> list[str]:
        found = re.search(r"\{([a-z,-]+)\}", text)
        return found.group(1).split(",") if found else []

    leaves: list[tuple[str, ...]] = []
    for command in choices(help_of()):
        actions = choices(help_of(command))
        leaves += [(command, a) for a in actions] if actions else [(command,)]
    assert ("kiosk", "revoke") in leaves and ("kiosk", "rotate") in leaves
    for leaf in leaves:
        assert f"`{' '.join(leaf)}" in section, leaf
        options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", help_of(*leaf))) - {"--help"}
        for option in options:
            assert option in section, (leaf, option)
