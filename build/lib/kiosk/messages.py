"""App-wide messages: how screens and background workers talk to the app.

Screens post `Intent` with a flow event (the holder's wish); workers post
`WorldEvent` with a flow event (what the card, the reader or the service said).
The app feeds both into the flow, the single place where rules live.
"""

from __future__ import annotations

from textual.message import Message

from kiosk.flow.events import Event


class Intent(Message):
    """A holder's intent from a screen (Continue, SubmitCode, Back ...)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    def __repr__(self) -> str:  # the event's own repr hides secrets
        return f"Intent({self.event!r})"


class WorldEvent(Message):
    """Something happened outside the app: card, reader, service, clock."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    def __repr__(self) -> str:
        return f"WorldEvent({self.event!r})"
