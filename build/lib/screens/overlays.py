"""Overlays shown over the current screen: inactivity warning, cancel confirmation."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import Back, ConfirmCancel
from kiosk.flow.states import CancelConfirmation, InactivityWarning, KioskState
from screens.base import KioskOverlay, duration, seconds_between


class InactivityWarningScreen(KioskOverlay):
    """Are you still there? A countdown to the end of the session.

    It posts nothing: any key is activity, which the app reports to the flow
    (UserActivity), and the flow takes the warning away.
    """

    STATE = InactivityWarning

    def compose_body(self) -> ComposeResult:
        """Question, countdown, what to do."""
        yield Static("Are you still there?", classes="heading")
        yield Static("", id="countdown", classes="lead")
        yield Static("Press any key to carry on.", classes="keys-line")

    def render_overlay(self, overlay: Any, state: KioskState) -> None:
        """Seconds left, from the state (the flow's clock)."""
        assert isinstance(overlay, InactivityWarning)
        left = seconds_between(state.now, overlay.ends_at)
        if left is None:
            left = overlay.seconds_left
        self.query_one("#countdown", Static).update(
            f"Your session will end in {duration(left)}, and everything you typed will be cleared."
        )


class CancelConfirmationScreen(KioskOverlay):
    """Stop and clear everything? Enter stops; Esc goes back."""

    STATE = CancelConfirmation
    BINDINGS = [
        Binding("enter", "confirm", "Yes, stop", show=False),
        Binding("escape", "back", "No, go back", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        """Question, consequence, keys."""
        yield Static("Stop unlocking your card?", classes="heading")
        yield Static(
            "If you stop, everything you typed is cleared and your card stays locked. "
            "You can start again later.",
            classes="lead",
        )
        yield Static("Enter: Yes, stop        Esc: No, go back", classes="keys-line")

    def action_confirm(self) -> None:
        """Enter: stop and clear everything."""
        self.intent(ConfirmCancel())

    def action_back(self) -> None:
        """Escape: carry on where you were."""
        self.intent(Back())
