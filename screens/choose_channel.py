"""How should we send your code? Email or text, to the details on the holder's record."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import ChannelChosen
from kiosk.flow.states import ChooseChannel, KioskState
from screens.base import KioskScreen

_KEYS = {"email": ("1", "Email"), "sms": ("2", "Text message")}


class ChooseChannelScreen(KioskScreen):
    """Choose how the unlock code is sent: 1 email, 2 text message."""

    STATE = ChooseChannel
    KEY_HINTS = (("1", "Email"), ("2", "Text"), ("Esc", "Stop"))
    BINDINGS = [
        Binding("1", "choose('email')", "Email", show=False),
        Binding("2", "choose('sms')", "Text", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        """Heading, the offered channels, and the message lines."""
        yield Static("How should we send your code?", classes="heading")
        yield Static("", id="options", classes="lead")
        yield Static("", id="error", classes="error")
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """List each channel with its key and masked address."""
        assert isinstance(screen, ChooseChannel)
        lines = Text()
        for channel, to in screen.channels:
            key, name = _KEYS.get(channel, ("", channel))
            lines.append(f"Press {key}: {name} to ")
            lines.append(to, "bold")
            lines.append("\n")
        self.set_text("options", lines)
        self.set_text("error", screen.error)
        self.set_text("sending", "Sending your code… please wait." if screen.sending else None)

    def action_choose(self, channel: str) -> None:
        """1 or 2: send the code that way."""
        self.intent(ChannelChosen(channel=channel))

    def submit_step(self) -> None:
        """Enter alone chooses nothing: the keys say how."""
