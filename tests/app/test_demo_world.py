"""The demo world starts even when its chosen port is taken before the service binds it
(parallel test workers choose free ports at the same moment)."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from card.pcscd import PrivatePcscd
from demo.world import LOOPBACK, DemoWorld

pytestmark = pytest.mark.pcsc


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
