"""The service as its own process (`python -m service serve`), for the tests that run
the real command: how it is started on loopback, and how a test knows it answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx

from tests.service.conftest import wait_for


def serve_argv(port: int, smtp_port: int, *options: str) -> list[str]:
    """`python -m service serve` with `options`, on loopback `port`, mailing through the
    loopback SMTP server at `smtp_port`."""
    return [
        sys.executable,
        "-m",
        "service",
        "serve",
        *options,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
    ]


def wait_until_answering(
    process: subprocess.Popen[bytes],
    url: str,
    exited: Callable[[], str],
    timeout: float = 20,
    what: str = "ssu-service serve",
) -> None:
    """Wait until GET `url` answers 200; fail at once, saying `exited()`, if the process
    ends first."""

    def answering() -> bool:
        assert process.poll() is None, exited()
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answering, timeout=timeout, what=what)
