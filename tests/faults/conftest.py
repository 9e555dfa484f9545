"""Fault injection on real parts: stop, hang and restore the service and the mail."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from demo.world import LOOPBACK, DemoWorld
from tests.app.conftest import kiosk, kiosk_settings

__all__ = ["kiosk", "kiosk_settings"]  # the app fixtures, shared with tests/app


class BlackHole:
    """Accepts connections on a loopback port and never answers (a hung service)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((LOOPBACK, port))
        self._server.listen(64)
        self._server.settimeout(0.2)
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

    def close(self) -> None:
        """Stop accepting and drop every held connection."""
        self._stop.set()
        self._thread.join(2)
        for conn in self._held:
            conn.close()
        self._server.close()


@contextmanager
def service_stopped(world: DemoWorld) -> Iterator[None]:
    """The service is down (connection refused) inside the block, back after it."""
    world.stop_service()
    try:
        yield
    finally:
        world.start_service()


@contextmanager
def service_hanging(world: DemoWorld) -> Iterator[None]:
    """The service accepts connections and never answers inside the block."""
    world.stop_service()
    hole = BlackHole(world.service_port)
    try:
        yield
    finally:
        hole.close()
        world.start_service()


@contextmanager
def mail_down(world: DemoWorld) -> Iterator[None]:
    """The SMTP server is down inside the block, back (same port, same mailbox) after."""
    world.mail.stop()
    try:
        yield
    finally:
        world.mail._controller = Controller(
            world.mail.mailbox, hostname=LOOPBACK, port=world.mail.port
        )
        world.mail.start()
