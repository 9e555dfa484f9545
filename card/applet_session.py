"""What both emulated applets keep besides their commands: the card and the session.

The unlock applet (`card.applet`) and the PIV applet (`card.piv_applet`) each hold a
card's personalisation, tell their owner when it changes (so a virtual card's state
file follows it), and forget the session's selection and verification on a reset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

CardT = TypeVar("CardT")


class AppletSession(Generic[CardT]):
    """A card's personalisation plus the volatile session an applet runs on it."""

    def __init__(self, card: CardT, on_change: Callable[[CardT], None] | None) -> None:
        self.card = card
        self._on_change = on_change
        self.selected = False
        self.pin_verified = False

    def reset(self) -> None:
        """Power off or reset: the session is forgotten, the personalisation is not."""
        self.selected = False
        self.pin_verified = False

    def _changed(self) -> None:
        """Tell the owner the personalisation changed (a counter, a passcode)."""
        if self._on_change is not None:
            self._on_change(self.card)
