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

import demo.world
from card.pcscd import PrivatePcscd
from demo.world import LOOPBACK, DemoNotStarted, DemoWorld, free_port

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
    live_pcscd: PrivatePcscd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = DemoWorld(tmp_path / "world", pcscd=live_pcscd)
    monkeypatch.setenv("AIOSMTPD_CONTROLLER_TIMEOUT", "3")  # a taken port shows after it
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        # The port the catcher chooses is taken before it binds it, once.
        chosen = iter([taken])
        monkeypatch.setattr(demo.world, "free_port", lambda: next(chosen, None) or free_port())
        world.start()
        try:
            assert world.mail.port != taken
            with smtplib.SMTP(LOOPBACK, world.mail.port, timeout=5) as smtp:
                assert smtp.noop()[0] == 250
        finally:
            world.stop()


def test_a_part_that_cannot_start_is_named_and_what_started_is_stopped(
    live_pcscd: PrivatePcscd, tmp_path: Path
) -> None:
    # The service refuses the policy, so seeding fails after the mail catcher started.
    world = DemoWorld(tmp_path / "world", pcscd=live_pcscd, policy="no-such-policy")
    with pytest.raises(DemoNotStarted, match="seeding the demo data failed") as failed:
        world.start()
    assert str(tmp_path / "world") in str(failed.value)
    assert world.service is None
    with pytest.raises(OSError), socket.create_connection((LOOPBACK, world.mail.port), timeout=2):
        pass  # the mail catcher was stopped


def test_a_demo_that_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
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
