"""Fault injection on real parts: stop, hang and restore the service and the mail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from demo.world import DemoWorld
from tests.app.conftest import kiosk, kiosk_settings
from tests.support import BlackHole

__all__ = ["kiosk", "kiosk_settings"]  # the app fixtures, shared with tests/app


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
        world.mail.restart()
