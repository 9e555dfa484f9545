"""`ssu-service seed-demo` then `ssu-service serve --demo` as real processes, driven by a
plain HTTP client written from docs/api.md alone, reading codes from its own SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from card.keys import aes_cmac, load_dev_keys
from tests.service.conftest import Mailbox, free_port
from tests.service.holder_steps import proof_body
from tests.service.serve_process import serve_argv, wait_until_answering
from tests.support import mailed_codes

ROOT = Path(__file__).resolve().parents[2]


def cli(*argv: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def environment(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["SSU_SERVICE_ARGON2__TIME_COST"] = "1"
    env["SSU_SERVICE_ARGON2__MEMORY_COST"] = "8"
    env["SSU_SERVICE_ARGON2__PARALLELISM"] = "1"
    env["SSU_SERVICE_DB"] = db_url
    return env


@pytest.fixture
def served(
    tmp_path: Path, environment: dict[str, str], smtp_server: tuple[Mailbox, int]
) -> Iterator[tuple[str, dict[str, Any]]]:
    seeded = json.loads(cli("seed-demo", env=environment, cwd=tmp_path))
    port = free_port()
    process = subprocess.Popen(
        serve_argv(port, smtp_server[1], "--demo"),
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, f"{url}/v1/health", lambda: "ssu-service serve exited")
        yield url, seeded
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_demo_service_end_to_end(
    served: tuple[str, dict[str, Any]],
    mailbox: Mailbox,
    environment: dict[str, str],
    tmp_path: Path,
) -> None:
    url, seeded = served
    keys = load_dev_keys()
    http = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {seeded['kiosk_token']}"}, timeout=10
    )

    def mac(serial: str, nonce: str, name: str) -> str:
        return aes_cmac(keys.derive(name, bytes.fromhex(serial)), bytes.fromhex(nonce)).hex()

    def nonce() -> str:
        response = http.post("/v1/nonces")
        assert response.status_code == 201
        return str(response.json()["nonce"])

    def code_in(mail_index: int, email: str) -> str:
        message = mailbox.wait_count(email, mail_index)[mail_index - 1]
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        found = mailed_codes(body)
        assert found
        return found[0]

    holders = {(h["registered"], h["card_state"]): h for h in seeded["holders"]}
    newcomer = holders[(False, "working")]

    # Registration.
    n = nonce()
    reg = http.post(
        "/v1/registrations",
        json={
            **proof_body(newcomer, n, mac(newcomer["serial"], n, "holder_auth")),
            "email": newcomer["email"],
            "mobile": newcomer["mobile"],
            "terms_version": "2026-11",
        },
    )
    assert reg.status_code == 201, reg.text
    rid = reg.json()["registration_id"]
    answers = {"q01": "fluffy", "q02": "high street", "q03": "jamie", "q04": "ford"}
    put = http.put(f"/v1/registrations/{rid}/answers", json={"answers": answers})
    assert put.status_code == 200, put.text
    confirm = http.post(
        f"/v1/registrations/{rid}/confirm", json={"code": code_in(1, newcomer["email"])}
    )
    assert confirm.json() == {"status": "registered", "policy": "questions"}

    # Lockout: three wrong answers.
    def start() -> httpx.Response:
        n = nonce()
        return http.post(
            "/v1/unlocks", json=proof_body(newcomer, n, mac(newcomer["serial"], n, "card_auth"))
        )

    unlock = start().json()
    for expected in (422, 422, 423):
        wrong = {q["id"]: "nope nope" for q in unlock["questions"]}
        answered = http.post(f"/v1/unlocks/{unlock['unlock_id']}/answers", json={"answers": wrong})
        assert answered.status_code == expected
    assert start().json()["code"] == "self_service_locked"

    # RA clear, then a full unlock.
    cli("ra", "clear-lock", newcomer["uuid"], env=environment, cwd=tmp_path)
    unlock = start().json()
    uid = unlock["unlock_id"]
    right = {q["id"]: answers[q["id"]] for q in unlock["questions"]}
    assert http.post(f"/v1/unlocks/{uid}/answers", json={"answers": right}).status_code == 200
    accepted = http.post(f"/v1/unlocks/{uid}/code", json={"code": code_in(2, newcomer["email"])})
    assert accepted.json()["status"] == "code_accepted"
    challenge = "00112233445566778899aabbccddeeff"
    cryptogram = http.post(f"/v1/unlocks/{uid}/cryptogram", json={"challenge": challenge})
    expected = aes_cmac(
        keys.derive("unblock", bytes.fromhex(newcomer["serial"])), bytes.fromhex(challenge)
    ).hex()
    assert cryptogram.json() == {"cryptogram": expected}
    result = http.post(
        f"/v1/unlocks/{uid}/result", json={"outcome": "unlocked", "status_word": "9000"}
    )
    assert result.status_code == 200 and result.json() == {}
    assert "unlocked at demo kiosk" in str(
        mailbox.wait_count(newcomer["email"], 3)[2].get_payload(decode=True), "utf-8"
    )

    # Audit from the kiosk, then the export.
    event = {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "at": "2026-11-22T10:00:00Z",
        "type": "card_removed",
        "serial": newcomer["serial"],
        "uuid": newcomer["uuid"],
        "outcome": "ok",
        "detail": {},
    }
    assert http.post("/v1/audit", json={"events": [event]}).json() == {
        "accepted": 1,
        "duplicates": 0,
    }
    exported = [
        json.loads(line)
        for line in cli("audit", "export", env=environment, cwd=tmp_path).splitlines()
    ]
    kinds = {r["type"] for r in exported}
    assert {
        "registration_confirm",
        "unlock_answers",
        "ra_clear_lock",
        "unlock_result",
        "card_removed",
    } <= kinds
    http.close()
