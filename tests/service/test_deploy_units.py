"""The systemd units in deploy/ and docs/deploy.md say only what is true.

`systemd-analyze verify` accepts every unit; the hardening the deployment guide
promises is in them; every flag on their command lines and in the guide is one the
command takes (`--help`), every `SSU_SERVICE_*`/`SSU_KIOSK_*` variable names a
setting, the guide's example settings load; and the service started exactly as
its unit starts it (same command line, credentials, environment) is ready and
serves its metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from card.keys import MasterKeys, aes_cmac
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from service.assembly import mailer_for
from service.settings import ServiceSettings, load_settings
from tests.service.conftest import Mailbox, card_mac, free_port
from tests.service.serve_process import wait_until_answering

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
SERVICE_UNIT = DEPLOY / "ssu-service@.service"
KIOSK_UNIT = DEPLOY / "ssu-kiosk.service"
GETTY_DROP_IN = DEPLOY / "getty@tty1.service.d" / "ssu-kiosk.conf"
INSTALLED = "/opt/ssu-kiosk/.venv"
"""Where the units expect the venv; tests put this one's in its place."""
VENV = Path(sys.executable).parent.parent


def directives(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, values in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


def command_line(unit: Path) -> list[str]:
    (exec_start,) = directives(unit)["ExecStart"]
    return shlex.split(exec_start.lstrip("-"))


@functools.cache
def help_of(program: str, *command: str) -> str:
    module = {"ssu-service": "service", "ssu-kiosk": "kiosk"}[program]
    done = subprocess.run(
        [sys.executable, "-m", module, *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def assert_flags_exist(program: str, argv: list[str]) -> None:
    """argv (after the program) names a real command, and only flags it takes."""
    words = [a for a in argv if not a.startswith("-")]
    command = words[:2] if words and words[0] in {"kiosk", "ra", "holder", "audit"} else words[:1]
    shown = help_of(program, *command)
    for flag in (a.split("=")[0] for a in argv if a.startswith("--")):
        assert re.search(rf"(^|[\s,\[]){re.escape(flag)}\b", shown), (program, command, flag)


@pytest.mark.parametrize("unit", [SERVICE_UNIT, KIOSK_UNIT], ids=lambda p: p.name)
def test_systemd_analyze_verify_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    # verify checks the command exists: point it at this checkout's venv.
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED, str(VENV)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert unit.name.split("@")[0] not in done.stderr, done.stderr


def test_the_service_unit_is_hardened_and_gets_its_secrets_as_credentials() -> None:
    unit = directives(SERVICE_UNIT)
    for key, value in {
        "User": "ssu",
        "Restart": "on-failure",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert unit.get(key) == [value], key
    assert "/var/lib/ssu" in unit["ReadWritePaths"]
    loaded = {v.partition(":")[0] for v in unit["LoadCredential"]}
    assert {"master-keys.toml", "smtp-password"} <= loaded
    # Every credential the command line or environment reads is one the unit loads.
    used = set(re.findall(r"%d/([\w.-]+)", " ".join(unit["ExecStart"] + unit["Environment"])))
    assert used == loaded
    assert not any("PASSWORD=" in v or "KEY=" in v for v in unit.get("Environment", []))


def test_the_kiosk_owns_tty1_restarts_always_and_never_reaches_a_shell() -> None:
    unit = directives(KIOSK_UNIT)
    assert unit["User"] == ["ssu-kiosk"] and unit["Restart"] == ["always"]
    assert unit["TTYPath"] == ["/dev/tty1"] and "getty@tty1.service" in unit["Conflicts"]
    assert Path(command_line(KIOSK_UNIT)[0]).name == "ssu-kiosk"
    getty = directives(GETTY_DROP_IN)
    assert getty["ExecStart"][0] == ""  # the packaged agetty line is replaced, not added to
    assert "--autologin ssu-kiosk" in getty["ExecStart"][1] and getty["Restart"] == ["always"]
    assert "usermod -s /opt/ssu-kiosk/.venv/bin/ssu-kiosk ssu-kiosk" in GUIDE.read_text()


@pytest.mark.parametrize("unit", [SERVICE_UNIT, KIOSK_UNIT], ids=lambda p: p.name)
def test_the_units_command_lines_take_only_real_flags(unit: Path) -> None:
    program, *argv = command_line(unit)
    assert program.startswith(f"{INSTALLED}/bin/")
    assert_flags_exist(Path(program).name, argv)


def test_every_command_and_flag_the_guide_names_exists() -> None:
    text = GUIDE.read_text().replace("\\\n", " ")
    commands = re.findall(r"ssu-service((?: +[a-z][\w-]*| +--[\w-]+| +\"[^\"]*\"| +%?\S+)*)", text)
    checked = 0
    for rest in commands:
        argv = [a for a in shlex.split(rest.split("`")[0]) if a != "..."]
        if argv and argv[0] in {"serve", "seed-demo", "kiosk", "ra", "holder", "audit"}:
            assert_flags_exist("ssu-service", argv)
            checked += 1
    assert checked >= 8


def field_path(model: type[BaseModel], names: list[str]) -> bool:
    field = model.model_fields.get(names[0])
    if field is None:
        return False
    if len(names) == 1:
        return True
    nested = field.annotation
    return (
        isinstance(nested, type) and issubclass(nested, BaseModel) and field_path(nested, names[1:])
    )


def test_every_variable_the_units_and_guide_name_is_a_setting() -> None:
    text = "\n".join(p.read_text() for p in (GUIDE, SERVICE_UNIT, KIOSK_UNIT))
    variables = set(re.findall(r"\bSSU_(SERVICE|KIOSK)_([A-Z0-9_]+)", text))
    assert ("SERVICE", "METRICS_PORT") in variables
    for prefix, name in variables:
        model = ServiceSettings if prefix == "SERVICE" else KioskSettings
        assert field_path(model, name.lower().split("__")), f"SSU_{prefix}_{name}"


def test_the_guides_example_settings_load(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", GUIDE.read_text(), re.S)
    example = next(b for b in blocks if b.startswith("db ="))
    path = tmp_path / "service.toml"
    path.write_text(example)
    settings = load_settings(path)  # an unknown key would be refused
    assert settings.log_format == "json" and settings.smtp_starttls


def test_the_smtp_password_comes_from_its_credential_file(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("correct horse\n")
    mailer = mailer_for(ServiceSettings(smtp_password_file=secret))
    assert mailer.password == "correct horse"
    assert "correct horse" not in repr(mailer)


def run_tool(argv: list[str], env: dict[str, str]) -> str:
    """An `ssu-service` tool run as an operator would beside the unit; its stdout."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


async def unlock_journey(
    url: str, token: str, masters: MasterKeys, mailbox: Mailbox, seeded: str
) -> None:
    """The demo's locked holder unlocks: card proof, answers, the mailed code, cryptogram."""
    holder = json.loads(seeded)["holders"][0]
    assert holder["card_state"] == "locked", holder
    async with contextlib.AsyncExitStack() as stack:
        client = ServiceClient(url, token, timeout=10.0, retries=2)
        stack.push_async_callback(client.aclose)
        nonce = await client.new_nonce()
        started = await client.start_unlock(
            holder["serial"],
            holder["uuid"],
            nonce.nonce,
            card_mac(masters, holder["serial"], nonce.nonce),
        )
        answers = {q.id: holder["answers"][q.id] for q in started.questions}
        await client.send_unlock_answers(started.unlock_id, answers)
        await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
        challenge = secrets.token_bytes(16)
        cryptogram = await client.get_cryptogram(started.unlock_id, challenge)
        assert cryptogram == aes_cmac(
            masters.derive("unblock", bytes.fromhex(holder["serial"])), challenge
        )
        await client.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
        mailbox.wait_count(holder["email"], 2)


def test_the_service_starts_as_its_unit_starts_it(
    tmp_path: Path, smtp_server: tuple[Mailbox, int]
) -> None:
    """The unit's command line and environment, with systemd's specifiers filled in; then
    the demo holders are seeded and a kiosk added with the same command, settings and
    credentials, and a whole unlock runs against it, its code read from the mail relay."""
    mailbox, smtp_port = smtp_server
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    masters = MasterKeys(*(secrets.token_bytes(32) for _ in range(3)))
    lines = ["[masters]"] + [
        f'{name} = "{getattr(masters, name).hex()}"'
        for name in ("unblock", "card_auth", "holder_auth")
    ]
    (credentials / "master-keys.toml").write_text("\n".join(lines) + "\n")
    (credentials / "smtp-password").write_text("relay-secret\n")
    config = tmp_path / "service.toml"
    config.write_text(
        f'db = "sqlite:///{tmp_path / "service.db"}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
    )
    port, metrics_port = free_port(), free_port()

    def fill(value: str) -> str:
        return (
            value.replace("%d", str(credentials))
            .replace("%i", str(port))
            .replace("/etc/ssu/service.toml", str(config))
            .replace(INSTALLED, str(VENV))
        )

    unit = directives(SERVICE_UNIT)
    argv = [fill(a) for a in command_line(SERVICE_UNIT)]
    env = {"PATH": "/usr/bin:/bin", "SSU_SERVICE_METRICS_PORT": str(metrics_port)}
    for assignment in unit["Environment"]:
        for pair in shlex.split(assignment):
            key, _, value = pair.partition("=")
            env[key] = fill(value)
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        wait_until_answering(
            process,
            f"http://127.0.0.1:{port}/v1/ready",
            log.read_text,
            timeout=30,
            what="the service as its unit starts it",
        )
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'ssu_requests_total{method="GET",route="/v1/ready",status="200"}' in scraped
        tool = [argv[0], "--config", str(config), "--keys", fill("%d/master-keys.toml")]
        seeded = run_tool([*tool[:1], "seed-demo", *tool[1:]], env)
        token = run_tool([*tool[:1], "kiosk", "add", "ward-unit", *tool[1:]], env)
        asyncio.run(unlock_journey(f"http://127.0.0.1:{port}", token, masters, mailbox, seeded))
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "relay-secret" not in log.read_text()
