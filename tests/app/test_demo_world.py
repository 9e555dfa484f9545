"""The demo world starts even when a port it chose is taken before its part binds it
(parallel test workers choose free ports at the same moment), and a demo that cannot
start says why in one line."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from card.pcscd import PrivatePcscd
from demo.world import LOOPBACK, DemoWorld

pytestmark = pytest.mark.pcsc

ROOT = Path(__file__).resolve().parents[2]


def test_the_service_moves_to_another_port_when_its_own_is_taken(
    live_pcscd: PrivatePcscd, tmp_path: Path
) -> None:
    world = DemoWorld(tmp_path / "world", pcscd=live_pcscd)
    taken = world.service_port
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, taken))
        squatter.listen()
        world.start()
        try:
            assert world.service_port != taken
            assert httpx.get(f"{world.service_url}/v1/health", timeout=5).status_code == 200
        finally:
            world.stop()


def test_the_mail_catcher_moves_to_another_port_when_its_own_is_taken(
    live_pcscd: PrivatePcscd, tmp_path: Path
) -> None:
    world = DemoWorld(tmp_path / "world", pcscd=live_pcscd)
    taken = world.mail.port
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, taken))
        squatter.listen()
        world.start()
        try:
            assert world.mail.port != taken
            with smtplib.SMTP(LOOPBACK, world.mail.port, timeout=5) as smtp:
                assert smtp.noop()[0] == 250
        finally:
            world.stop()


def test_a_demo_that_cannot_start_says_why_and_leaves_nothing_running(tmp_path: Path) -> None:
    # No pcscd on the PATH: the first part cannot start.
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ssu-kiosk: the demo could not start: pcscd not found" in done.stderr
    assert "Traceback" not in done.stderr
