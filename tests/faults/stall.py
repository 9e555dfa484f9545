"""A command held at the virtual card until the test lets it go: the card being pulled
while the kiosk writes to it (the write fault rows, and the kill -9 ones in tests/e2e).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from card.applet import Applet
from card.piv_applet import PivApplet


@dataclass
class Stall:
    """A command held at the card until `release` (the card is being pulled)."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Held(Protocol):
    """What `holding` needs of a stall: the events it sets and waits on."""

    reached: threading.Event
    release: threading.Event


HeldStall = TypeVar("HeldStall", bound=Held)


def holding(
    applet: type[Applet] | type[PivApplet],
    held: HeldStall,
    matches: Callable[[bytes], bool],
    applied: bool = False,
) -> Iterator[HeldStall]:
    """While the generator is suspended, the first command a card of class `applet`
    gets that `matches` is held (carried out first when `applied`), until `release`.
    For a fixture: `yield from holding(...)`."""
    original = applet.process

    def process(self: Any, command: bytes) -> bytes:
        if matches(command) and not held.release.is_set():
            if applied:
                original(self, command)
            held.reached.set()
            held.release.wait(20)
            return bytes.fromhex("6F00")  # never reaches the kiosk: the card is gone by then
        return original(self, command)

    applet.process = process  # type: ignore[method-assign]
    try:
        yield held
    finally:
        held.release.set()
        applet.process = original  # type: ignore[method-assign]
