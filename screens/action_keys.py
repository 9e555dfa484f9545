"""Screens whose letter and number keys each post one flow event (1 Register, S Sign out ...).

A screen lists those keys once, in `ACTION_KEYS` (key -> what it posts), and binds
them with `key_bindings`; a key posts its event when `key_allowed` says it does
something in the state on show. Which keys a state offers is the flow's to say; the
screen only keeps a key quiet that its state does not show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType

from kiosk.flow.events import Event
from screens.base import KioskScreen


@dataclass(frozen=True)
class ActionKey:
    """What a key posts (a flow event, made anew each time), and what it does in words."""

    event: Callable[[], Event]
    description: str


def key_bindings(keys: Mapping[str, ActionKey]) -> list[BindingType]:
    """Hidden bindings (the footer's hints say the keys) that press each of `keys`."""
    return [
        Binding(key, f"press({key!r})", action.description, show=False)
        for key, action in keys.items()
    ]


class ActionKeysScreen(KioskScreen):
    """A screen with `ACTION_KEYS`, bound by `BINDINGS = key_bindings(ACTION_KEYS)`."""

    ACTION_KEYS: ClassVar[Mapping[str, ActionKey]] = {}

    def key_allowed(self, key: str) -> bool:
        """Whether `key` does something in the state on show (default: always)."""
        return True

    def action_press(self, key: str) -> None:
        """One of the `ACTION_KEYS`: post its event, when the state offers it."""
        if self.key_allowed(key):
            self.intent(self.ACTION_KEYS[key].event())
