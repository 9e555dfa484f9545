"""`ssu-card` as a person or another tool uses it, as separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from card.pcscd import PrivatePcscd
from tests.conftest import reader_has_card
from tests.support import wait_for

pytestmark = pytest.mark.pcsc


def ssu_card(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "card.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=os.environ.copy(),
    )


@pytest.fixture
def insert(live_pcscd: PrivatePcscd) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "card.cli", "insert", "--port", str(live_pcscd.port), *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        wait_for(lambda: reader_has_card(True), what="the inserted card")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    wait_for(lambda: reader_has_card(False), what="card removed")


def test_status_of_a_locked_card(insert) -> None:  # type: ignore[no-untyped-def]
    insert("--state", "locked")
    result = ssu_card("status")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["pin_state"] == "blocked"
    assert status["tries_left"] == 0
    assert set(status) >= {"serial", "uuid", "name", "expiry", "pin_state", "tries_left"}


def test_status_of_a_working_card_and_verify(insert) -> None:  # type: ignore[no-untyped-def]
    insert("--uuid", "555000000777", "--serial", "00000000000007AB", "--pin", "7314925")
    status = json.loads(ssu_card("status").stdout)
    assert status["tries_left"] == 3 and status["pin_state"] == "working"
    assert status["uuid"] == "555000000777" and status["serial"] == "00000000000007ab"
    assert ssu_card("verify", "7314925").returncode == 0
    wrong = ssu_card("verify", "1111111")
    assert wrong.returncode == 1 and "2 tries left" in wrong.stderr


def test_sigterm_removes_the_card_and_state_file_remembers(  # type: ignore[no-untyped-def]
    insert, tmp_path: Path
) -> None:
    state = tmp_path / "card.json"
    proc = insert("--state-file", str(state))
    assert ssu_card("verify", "111111").returncode == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    wait_for(lambda: reader_has_card(False), what="removal")
    assert ssu_card("status").returncode == 2
    insert("--state-file", str(state))
    assert json.loads(ssu_card("status").stdout)["tries_left"] == 2
    assert oct(state.stat().st_mode & 0o777) == "0o600"


def test_readers_and_clear_errors(live_pcscd: PrivatePcscd) -> None:
    readers = ssu_card("readers")
    assert readers.returncode == 0
    assert "Virtual PCD 00 00\tempty" in readers.stdout
    no_card = ssu_card("status")
    assert no_card.returncode == 2 and "no card" in no_card.stderr
    missing = ssu_card("status", "--reader", "Nope 00 00")
    assert missing.returncode == 2 and "'Nope 00 00' is not connected" in missing.stderr
    bad = ssu_card("verify", "12ab")
    assert bad.returncode == 2


def test_no_card_service_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "nothing.comm"))
    result = subprocess.run(
        [sys.executable, "-m", "card.cli", "status"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    assert "card service (pcscd) is not running" in result.stderr


def test_a_piv_card_from_the_command_line(insert, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "piv.json"
    proc = insert(
        "--profile",
        "piv",
        "--holder",
        "locked",
        "--state",
        "locked",
        "--puk",
        "86420975",
        "--state-file",
        str(state),
    )
    status = json.loads(ssu_card("status").stdout)
    assert status["profile"] == "piv" and status["pin_state"] == "blocked"
    assert status["serial"] == "5353552d50495600" + "0102030405060701"
    assert status["uuid"] == "555000000001" and status["name"] == "Alex Morgan"
    assert ssu_card("verify", "483920").returncode == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert "86420975" not in proc.stderr.read()
    text = state.read_text() if state.exists() else ""
    assert "86420975" not in text and "483920" not in text


def test_puk_and_dead_are_for_piv_cards_only(live_pcscd: PrivatePcscd) -> None:
    for extra in (["--puk", "12345678"], ["--state", "dead"]):
        result = subprocess.run(
            [sys.executable, "-m", "card.cli", "insert", "--port", str(live_pcscd.port), *extra],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2 and "--profile piv only" in result.stderr
