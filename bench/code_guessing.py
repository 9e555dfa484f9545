"""How many code guesses a chaining attacker gets in a minute (issue 13 item 6).

The attacker holds a locked demo card (so every card proof holds) and the service
asks no questions (`questions_required = false`, the national 2023 process, the
attacker's best case): each unlock start mails a fresh code, three wrong codes
void it, and the next start brings another. Before issue 13 item 6 nothing
counted across unlocks, so only the per-holder start throttle (30 a minute)
slowed this down. The real service runs as `ssu-service serve --demo` in a
subprocess on a temporary SQLite file, with an SMTP catcher on loopback.

    .venv/bin/python -m bench.code_guessing [--seconds 60]

Prints the guesses the service checked (answered `code_wrong` or `code_void`)
and every problem code it answered, as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from bench.common import LOOPBACK, ROOT, free_port, stop_process, wait_until
from card.keys import aes_cmac, load_dev_keys


class _Sink:
    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        return "250 OK"


def attack(seconds: float) -> dict[str, Any]:
    """Run the chaining attack for `seconds` against a fresh service; what it achieved."""
    smtp = Controller(_Sink(), hostname=LOOPBACK, port=free_port(), ready_timeout=30)
    smtp.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'service.db'}"
        env = {**os.environ, "SSU_SERVICE_QUESTIONS_REQUIRED": "false"}
        cli = [sys.executable, "-m", "service"]
        seeded = subprocess.run(
            [*cli, "seed-demo", "--db", db], env=env, capture_output=True, check=True, cwd=ROOT
        )
        demo = json.loads(seeded.stdout)
        holder = next(h for h in demo["holders"] if h["card_state"] == "locked")
        proc = subprocess.Popen(
            [*cli, "serve", "--demo", "--db", db, "--port", str(port)]
            + ["--smtp-host", LOOPBACK, "--smtp-port", str(smtp.port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until(lambda: _healthy(url), timeout=30)
            return _chain(url, demo["kiosk_token"], holder, seconds)
        finally:
            stop_process(proc)
            smtp.stop()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _chain(url: str, token: str, holder: dict[str, Any], seconds: float) -> dict[str, Any]:
    masters = load_dev_keys()
    card_key = masters.derive("card_auth", bytes.fromhex(holder["serial"]))
    answers: Counter[str] = Counter()
    guesses = starts = 0
    paused = False
    guess = 0
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            nonce = http.post("/v1/nonces").json()["nonce"]
            mac = aes_cmac(card_key, bytes.fromhex(nonce)).hex()
            body = {"serial": holder["serial"], "uuid": holder["uuid"], "nonce": nonce, "mac": mac}
            started = http.post("/v1/unlocks", json=body)
            if started.status_code != 201:
                answers[f"start:{started.json().get('code')}"] += 1
                time.sleep(0.2)  # throttled or paused: an attacker would wait, then retry
                continue
            starts += 1
            unlock = started.json()["unlock_id"]
            for _ in range(3):
                guess += 1
                tried = http.post(f"/v1/unlocks/{unlock}/code", json={"code": f"{guess:08d}"})
                code = tried.json().get("code", "ok")
                answers[f"code:{code}"] += 1
                # The wrong code that starts the pause was checked too (it is answered
                # self_service_paused); every later try is refused unchecked.
                if code in ("code_wrong", "code_void") or (
                    code == "self_service_paused" and not paused
                ):
                    guesses += 1
                paused = paused or code == "self_service_paused"
                if code != "code_wrong":
                    break
    return {"seconds": seconds, "guesses": guesses, "starts": starts, "answers": dict(answers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    print(json.dumps(attack(parser.parse_args().seconds)))


if __name__ == "__main__":
    main()
