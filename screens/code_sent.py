"""The emailed code: where it went, how long it lasts, and the field to type it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import ResendCodeRequested, SubmitCode
from kiosk.flow.states import CodeEntry, KioskState
from screens.base import KioskScreen
from screens.widgets import CodeInput
from screens.wording import clock_time, duration, seconds_between

RESEND_KEY = "f7"


class CodeSentScreen(KioskScreen):
    """We emailed you a code: type it here. F7 asks for a new one."""

    STATE = CodeEntry
    KEY_HINTS = (("Enter", "Send code"), ("F7", "New code"), ("Esc", "Stop"))
    BINDINGS = [Binding(RESEND_KEY, "resend", "New code", show=False)]

    def compose_body(self) -> ComposeResult:
        """Heading, where and when, the field, and the message lines."""
        yield Static("Check your email", classes="heading")
        yield Static("", id="sent", classes="lead")
        yield Static("", id="expiry", classes="lead")
        yield Static("", id="error", classes="error")
        yield Static("", id="notice", classes="notice")
        yield Static("", id="code-label", classes="field-label")
        yield CodeInput(placeholder="Type the code", id="code")
        yield Static("", id="text-code-label", classes="field-label")
        yield CodeInput(placeholder="Type the texted code", id="text-code")
        yield Static("", id="tries", classes="detail")
        yield Static("", id="resend", classes="detail")
        yield Static("", id="sending", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Render address, times, a countdown from the state's clock, and resend."""
        assert isinstance(screen, CodeEntry)
        now = state.now
        sent = Text("We emailed a code to ")
        sent.append(screen.sent_to, "bold")
        sent.append(f" at {clock_time(screen.sent_at)}.")
        self.set_text("sent", sent)
        left = seconds_between(now, screen.expires_at)
        until = f"The code works until {clock_time(screen.expires_at)}"
        if left is None:
            expiry = until + "."
        elif left > 0:
            expiry = f"{until}: {duration(left)} left."
        else:
            expiry = (
                f"The code expired at {clock_time(screen.expires_at)}. Press F7 for a new code."
            )
        self.set_text("expiry", expiry)
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        self.set_text(
            "code-label",
            f"Code from the email ({state.config.code_digits} digits), then press Enter. "
            "It shows as you type it, in groups of four, so you can check it:",
        )
        self.query_one("#code", CodeInput).set_digits(state.config.code_digits)
        # Two codes (policy two-channel): a second field for the texted one.
        texted = self.query_one("#text-code", CodeInput)
        texted.display = screen.text_sent_to is not None
        if screen.text_sent_to is not None:
            texted.set_digits(state.config.code_digits)
            label = Text("And the code we texted to ")
            label.append(screen.text_sent_to, "bold")
            label.append(" (it works for less time than the email's):")
            self.set_text("text-code-label", label)
        else:
            self.set_text("text-code-label", None)
        if screen.tries_left is not None:
            tries = "try" if screen.tries_left == 1 else "tries"
            # The service counts wrong codes per journey: a new code keeps the count.
            self.set_text(
                "tries",
                f"You have {screen.tries_left} {tries} left to type a code. "
                "A new code does not give you more tries.",
            )
        else:
            self.set_text("tries", None)
        self.set_text("resend", self._resend_line(screen, now))
        self.set_text(
            "sending", "Talking to the unlock service… please wait." if screen.sending else None
        )

    @staticmethod
    def _resend_line(screen: CodeEntry, now: Any) -> str:
        if screen.resends_exhausted:
            return "No more new codes can be sent for this unlock."
        wait = (
            None
            if screen.resend_available_at is None
            else seconds_between(now, screen.resend_available_at)
        )
        if wait:
            return (
                f"No email? Check your junk folder. You can ask for a new code in {duration(wait)}."
            )
        return "No email? Check your junk folder, or press F7 for a new code."

    def action_resend(self) -> None:
        """F7: ask for a new code (the flow says if that is allowed yet)."""
        self.intent(ResendCodeRequested())

    def submit_step(self) -> None:
        """Send the code as typed."""
        texted = self.query_one("#text-code", CodeInput)
        self.intent(
            SubmitCode(
                code=self.query_one("#code", CodeInput).value,
                text_code=texted.value if texted.display else None,
            )
        )
