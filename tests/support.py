"""Helpers shared by the test suites (no fixtures here: see conftest.py)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from demo.world import LOOPBACK

T = TypeVar("T")

MAILED_CODE = re.compile(r"(?<!\d)(?<!\d )(\d{4}) ?(\d{4})(?!\d)(?! \d)")
"""A one-time code as a mail or text shows it: two groups of four digits
(contract.codes.group_code); the bare eight digits are matched too. Never part of a
longer run of digit groups (a phone number such as 020 7946 0958)."""


def mailed_codes(text: str | bytes) -> list[str]:
    """Every one-time code in a mail's text, in order, as digits only (as typed)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return ["".join(groups) for groups in MAILED_CODE.findall(text)]


def wait_for(
    condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.02, what: str = ""
) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


class BlackHole:
    """A loopback port that accepts connections and never answers (a hung service, a
    silent mail relay) until closed. Port 0 takes a free one (`port` says which);
    `accepted` is set once someone has connected."""

    def __init__(self, port: int = 0) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((LOOPBACK, port))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        """Stop accepting and hang up on everyone held: their calls fail at once."""
        self._stop.set()
        self._thread.join(2)
        for conn in self._held:
            conn.close()
        self._server.close()
