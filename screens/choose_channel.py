"""How should we send your code? Email or text, to the details on the holder's record."""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from contract.language import N_
from kiosk.flow.events import ChannelChosen
from kiosk.flow.states import ChooseChannel, KioskState
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.form_lines import problem_lines
from screens.language import _

_KEYS = {"email": ("1", N_("Email")), "sms": ("2", N_("Text message"))}


class ChooseChannelScreen(ActionKeysScreen):
    """Choose how the unlock code is sent: 1 email, 2 text message."""

    STATE = ChooseChannel
    KEY_HINTS = (("1", N_("Email")), ("2", N_("Text")), ("Esc", N_("Stop")))
    ACTION_KEYS = {
        "1": ActionKey(partial(ChannelChosen, channel="email"), "Email"),
        "2": ActionKey(partial(ChannelChosen, channel="sms"), "Text"),
    }
    BINDINGS = key_bindings(ACTION_KEYS)

    def compose_body(self) -> ComposeResult:
        """Heading, the offered channels, and the message lines."""
        yield Static(_("How should we send your code?"), classes="heading")
        yield Static("", id="options", classes="lead")
        yield from problem_lines()
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """List each channel with its key and masked address."""
        assert isinstance(screen, ChooseChannel)
        lines = Text()
        for channel, to in screen.channels:
            key, name = _KEYS.get(channel, ("", channel))
            lines.append(_("Press {key}: {name} to ").format(key=key, name=_(name)))
            lines.append(to, "bold")
            lines.append("\n")
        self.set_text("options", lines)
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        self.set_text("sending", _("Sending your code… please wait.") if screen.sending else None)

    def submit_step(self) -> None:
        """Enter alone chooses nothing: the keys say how."""
