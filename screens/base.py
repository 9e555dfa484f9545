"""What every kiosk screen shares: the contract between the app and `screens/`.

A screen renders one flow state (a dataclass from `kiosk.flow.states`) and posts
`kiosk.messages.Intent` with a flow event for whatever the holder does. It holds
no rule. The app keeps one instance of each screen installed, so text typed into
a screen survives while another screen (service unavailable, help) is shown over
it; the app calls `wipe()` when the flow says inputs must go.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.screen import Screen

from kiosk.flow.events import Event
from kiosk.flow.states import KioskState
from kiosk.messages import Intent


class KioskScreen(Screen[None]):
    """Base of every kiosk screen."""

    #: The flow screen-state type this screen renders.
    STATE: ClassVar[type[Any]]

    #: Settings the screens may show (RA contacts ...), set by the app.
    settings: Any = None

    def show(self, state: KioskState) -> None:
        """Render the whole kiosk state (`state.screen` is an instance of STATE)."""

    def wipe(self) -> None:
        """Clear every input on this screen (secret or not)."""

    def intent(self, event: Event) -> None:
        """Tell the app what the holder wants."""
        self.post_message(Intent(event))
