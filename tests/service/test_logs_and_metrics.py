"""What an operator sees of `ssu-service serve` (docs/deploy.md "Logs", "Metrics").

The real serve process, as the systemd unit runs it, with its stderr captured: a
journey, a refusal, a token in a query string and a 500 from a broken store. Every
line it logged parses as one JSON object, with the request fields where there is a
request, and none of the journey's secrets. Then `/metrics`, scraped over loopback
from its own port without a token, has counted the requests, the journey, the
refusals and the mail.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from card.keys import aes_cmac, load_dev_keys
from contract.codes import group_code
from tests.secrecy import scan
from tests.service.conftest import Mailbox, free_port
from tests.service.serve_process import wait_until_answering
from tests.service.test_end_to_end import cli
from tests.support import mailed_codes

ROOT = Path(__file__).resolve().parents[2]
CHALLENGE = "00112233445566778899aabbccddeeff"
WRONG_CODE = "31415926"


@dataclass
class Served:
    url: str
    metrics_url: str
    seeded: dict[str, Any]
    db: Path
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture
def served(tmp_path: Path, smtp_server: tuple[Mailbox, int]) -> Iterator[Served]:
    """`ssu-service serve --demo` with the defaults a unit gives it: JSON logs, metrics on."""
    db = tmp_path / "service.db"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SSU_SERVICE_DB": f"sqlite:///{db}",
        "SSU_SERVICE_ARGON2__TIME_COST": "1",
        "SSU_SERVICE_ARGON2__MEMORY_COST": "8",
        "SSU_SERVICE_ARGON2__PARALLELISM": "1",
        "SSU_SERVICE_METRICS_PORT": str(free_port()),
        "SSU_SERVICE_SMTP_HOST": "127.0.0.1",
        "SSU_SERVICE_SMTP_PORT": str(smtp_server[1]),
    }
    seeded = json.loads(cli("seed-demo", env=env, cwd=tmp_path))
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--demo", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, f"{url}/v1/health", log.read_text)
        metrics_url = f"http://127.0.0.1:{env['SSU_SERVICE_METRICS_PORT']}/metrics"
        yield Served(url, metrics_url, seeded, db, log, process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def unlock_journey(served: Served, mailbox: Mailbox) -> set[str]:
    """A full unlock of the demo's blocked card, with one wrong code; its secrets."""
    keys = load_dev_keys()
    token = served.seeded["kiosk_token"]
    holder = next(h for h in served.seeded["holders"] if h["card_state"] == "locked")
    serial, email = holder["serial"], holder["email"]
    secrets = {token, WRONG_CODE, holder["pin"], *holder["answers"].values()}
    with httpx.Client(
        base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as http:
        nonce = http.post("/v1/nonces").json()["nonce"]
        mac = aes_cmac(keys.derive("card_auth", bytes.fromhex(serial)), bytes.fromhex(nonce))
        secrets |= {nonce, mac.hex()}
        started = http.post(
            "/v1/unlocks",
            json={"serial": serial, "uuid": holder["uuid"], "nonce": nonce, "mac": mac.hex()},
        )
        assert started.status_code == 201, started.text
        unlock = started.json()
        uid = unlock["unlock_id"]
        answers = {q["id"]: holder["answers"][q["id"]] for q in unlock["questions"]}
        answered = http.post(f"/v1/unlocks/{uid}/answers", json={"answers": answers})
        assert answered.status_code == 200, answered.text
        message = mailbox.wait_count(email, 1)[0].get_payload(decode=True)
        assert isinstance(message, bytes)
        [code] = mailed_codes(message)
        secrets |= {code, group_code(code)}  # as typed, and as mailed
        wrong = http.post(f"/v1/unlocks/{uid}/code", json={"code": WRONG_CODE})
        assert wrong.json()["code"] == "code_wrong"
        assert http.post(f"/v1/unlocks/{uid}/code", json={"code": code}).status_code == 200
        cryptogram = http.post(f"/v1/unlocks/{uid}/cryptogram", json={"challenge": CHALLENGE})
        secrets.add(cryptogram.json()["cryptogram"])
        result = {"outcome": "unlocked", "status_word": "9000"}
        assert http.post(f"/v1/unlocks/{uid}/result", json=result).status_code == 200
        mailbox.wait_count(email, 2)
    return secrets


def lock_out(served: Served) -> None:
    """Three wrong answer attempts by the demo's working holder: self-service locked."""
    keys = load_dev_keys()
    holder = next(
        h for h in served.seeded["holders"] if h["card_state"] == "working" and h["registered"]
    )
    serial = holder["serial"]
    with httpx.Client(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.seeded['kiosk_token']}"},
        timeout=10,
    ) as http:
        nonce = http.post("/v1/nonces").json()["nonce"]
        mac = aes_cmac(keys.derive("card_auth", bytes.fromhex(serial)), bytes.fromhex(nonce))
        body = {"serial": serial, "uuid": holder["uuid"], "nonce": nonce, "mac": mac.hex()}
        unlock = http.post("/v1/unlocks", json=body).json()
        wrong = {q["id"]: "nope nope" for q in unlock["questions"]}
        for expected in (422, 422, 423):
            answered = http.post(
                f"/v1/unlocks/{unlock['unlock_id']}/answers", json={"answers": wrong}
            )
            assert answered.status_code == expected, answered.text


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_serve_logs_json_lines_without_secrets_and_counts_in_metrics(
    served: Served, mailbox: Mailbox
) -> None:
    token = served.seeded["kiosk_token"]
    secrets = unlock_journey(served, mailbox)
    lock_out(served)
    # Refused: a token in a query string, not in the header.
    assert httpx.get(f"{served.url}/v1/questions?token={token}").status_code == 401
    # A broken store: the nonces table is gone.
    with sqlite3.connect(served.db) as conn:
        conn.execute("ALTER TABLE nonces RENAME TO nonces_gone")
    broken = httpx.post(f"{served.url}/v1/nonces", headers={"Authorization": f"Bearer {token}"})
    assert broken.status_code == 500

    # /metrics: on its own loopback port, no token; not on the kiosks' address.
    assert httpx.get(f"{served.url}/metrics").status_code == 404
    scraped = httpx.get(served.metrics_url, timeout=5)
    assert scraped.status_code == 200
    got = samples(scraped.text)

    def value(name: str, **labels: str) -> float:
        return got.get((name, frozenset(labels.items())), 0.0)

    answers_route = {"method": "POST", "route": "/v1/unlocks/{unlock_id}/answers"}
    assert value("ssu_requests_total", **answers_route, status="200") == 1
    assert value("ssu_request_duration_seconds_count", **answers_route, status="200") == 1
    assert value("ssu_requests_total", method="POST", route="/v1/nonces", status="500") == 1
    assert value("ssu_journeys_total", journey="unlock", stage="started") == 2
    assert value("ssu_journeys_total", journey="unlock", stage="completed") == 1
    for code in ("code_wrong", "unauthorized", "internal_error", "self_service_locked"):
        assert value("ssu_refusals_total", code=code) == 1, code
    assert value("ssu_refusals_total", code="answers_wrong") == 2
    assert value("ssu_holders_locked") == 1
    assert (
        sum(
            v
            for (n, labels), v in got.items()
            if n == "ssu_mail_total" and ("outcome", "sent") in labels
        )
        == 2
    )
    assert value("ssu_answer_checks_workers") >= 1
    assert value("ssu_answer_checks_checking") == 0

    served.process.terminate()
    served.process.wait(timeout=10)
    lines = served.log.read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    access = [r for r in records if r["logger"] == "service.access"]
    by_status = {(r["method"], r["path"], r["status"]) for r in access}
    assert ("GET", "/v1/questions", 401) in by_status
    assert ("POST", "/v1/nonces", 500) in by_status
    assert all(isinstance(r["duration_ms"], float) for r in access)
    assert {r.get("kiosk_id") for r in access if r["path"] == "/v1/unlocks"} != {None}
    assert not any("uvicorn.access" == r["logger"] for r in records)  # one access line each
    assert any(r["level"] == "ERROR" and "OperationalError" in r["message"] for r in records)
    logged = served.log.read_text("utf-8")
    for leak in ("Traceback", "nonces_gone", "SELECT", "INSERT", "?token", "Bearer"):
        assert leak not in logged, leak
    assert scan([served.log.parent], secrets) == []


def test_log_lines_follow_stderr_when_it_is_swapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tool run in-process (the tests do) swaps stderr; lines go to the current one,
    never to one closed since (that printed "--- Logging error ---" tracebacks)."""
    import io
    import logging

    from service.logs import configure_logging

    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("text")
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    monkeypatch.setattr(logging, "raiseExceptions", True)
    logging.getLogger("service.test").warning("after the swap")
    assert "after the swap" in second.getvalue()
    assert "Logging error" not in second.getvalue()
