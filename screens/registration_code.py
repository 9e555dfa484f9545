"""Registering: the emailed registration code (the unlock's code screen, reworded)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import CodeEntry, KioskState, RegistrationCodeEntry
from screens.code_sent import CodeSentScreen
from screens.language import _


class RegistrationCodeSentScreen(CodeSentScreen):
    """We emailed you a registration code: type it here. F7 asks for a new one."""

    STATE = RegistrationCodeEntry

    def compose_body(self) -> ComposeResult:
        """The code screen with a line saying what the code is for."""
        yield from super().compose_body()
        yield Static(
            _("This code finishes your registration. It works once, for 15 minutes."),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """As the unlock's code screen, with registration wording."""
        super().render_state(screen, state)
        if isinstance(screen, CodeEntry) and screen.resends_exhausted:
            self.set_text("resend", _("No more new codes can be sent for this registration."))
