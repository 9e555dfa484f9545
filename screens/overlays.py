"""Overlays shown over the current screen: inactivity warning, cancel confirmation."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow import states
from kiosk.flow.events import Back, ConfirmCancel
from kiosk.flow.states import CancelConfirmation, InactivityWarning, KioskState
from screens.base import KioskOverlay, unwrap
from screens.language import _, tr
from screens.wording import duration, seconds_between


class InactivityWarningScreen(KioskOverlay):
    """Are you still there? A countdown to the end of the session.

    It posts nothing: any key is activity, which the app reports to the flow
    (UserActivity), and the flow takes the warning away.
    """

    STATE = InactivityWarning

    def on_mount(self) -> None:
        """Render, then have the warning heard as well as seen (WCAG 2.2.1)."""
        super().on_mount()
        announce = getattr(self.app, "announce", None)
        if callable(announce):
            self.call_after_refresh(announce)

    def compose_body(self) -> ComposeResult:
        """Question, countdown, what to do."""
        yield Static(_("Are you still there?"), classes="heading")
        yield Static("", id="countdown", classes="lead")
        yield Static(_("Press any key to carry on."), classes="keys-line")

    def render_overlay(self, overlay: Any, state: KioskState) -> None:
        """Seconds left, from the state (the flow's clock)."""
        assert isinstance(overlay, InactivityWarning)
        left = seconds_between(state.now, overlay.ends_at)
        if left is None:
            left = overlay.seconds_left
        self.query_one("#countdown", Static).update(
            _(
                "Your session will end in {left}, and everything you typed will be cleared.",
                left=duration(left),
            )
        )


_STOP_UNLOCK = (
    _("Stop unlocking your card?"),
    _(
        "If you stop, everything you typed is cleared and your card stays locked. "
        "You can start again later."
    ),
)
_STOP_REGISTERING = (
    _("Stop registering?"),
    _(
        "If you stop, everything you typed is cleared and you are not registered for "
        "self-service. Your card keeps working. You can register another time."
    ),
)
_STOP_CHANGING = (
    _("Stop changing your passcode?"),
    _("If you stop, everything you typed is cleared and your passcode stays as it was."),
)
_STOPPING: dict[type, tuple[str, str]] = {
    states.PasscodeEntry: _STOP_REGISTERING,
    states.Terms: _STOP_REGISTERING,
    states.ContactDetails: _STOP_REGISTERING,
    states.ChooseQuestions: _STOP_REGISTERING,
    states.RegistrationAnswers: _STOP_REGISTERING,
    states.RegistrationCodeEntry: _STOP_REGISTERING,
    states.ChangePasscode: _STOP_CHANGING,
}


class CancelConfirmationScreen(KioskOverlay):
    """Stop and clear everything? S stops; Esc (or Enter) goes back.

    Enter means "next" on every other screen, so here it never means "yes, stop":
    a holder who pressed Esc then Enter out of habit keeps their journey.
    """

    STATE = CancelConfirmation
    BINDINGS = [
        Binding("s,S,shift+s", "confirm", "Yes, stop", show=False),
        Binding("escape,enter", "back", "No, go back", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        """Question, consequence, keys."""
        yield Static("", id="question", classes="heading")
        yield Static("", id="consequence", classes="lead")
        yield Static(_("S: Yes, stop        Esc: No, go back"), classes="keys-line")

    def render_overlay(self, overlay: Any, state: KioskState) -> None:
        """Say what stopping throws away, for the journey under way."""
        screen, _ = unwrap(state.screen)
        question, consequence = _STOPPING.get(type(screen), _STOP_UNLOCK)
        self.query_one("#question", Static).update(tr(question))
        self.query_one("#consequence", Static).update(tr(consequence))

    def action_confirm(self) -> None:
        """S: stop and clear everything."""
        self.intent(ConfirmCancel())

    def action_back(self) -> None:
        """Escape or Enter: carry on where you were."""
        self.intent(Back())
