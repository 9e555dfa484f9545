"""The code we sent (by email, or by text where the holder chose it): where it went, how
long it lasts, and the field to type it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import ResendCodeRequested, SubmitCode
from kiosk.flow.states import CodeEntry, KioskState
from screens.base import KioskScreen
from screens.form_lines import problem_lines
from screens.language import _, ngettext
from screens.widgets import CodeInput
from screens.wording import clock_time, duration, seconds_between

RESEND_KEY = "f7"


HURRY_SECONDS = 120
"""When the code has this little time left, the screen warns (and says so aloud)."""


class CodeSentScreen(KioskScreen):
    """We sent you a code (by email or text): type it here. F7 asks for a new one."""

    STATE = CodeEntry
    KEY_HINTS = (("Enter", _("Send code")), ("F7", _("New code")), ("Esc", _("Stop")))
    BINDINGS = [Binding(RESEND_KEY, "resend", "New code", show=False)]

    def compose_body(self) -> ComposeResult:
        """Heading, where and when, the field, and the message lines."""
        yield Static(_("Check your email"), id="heading", classes="heading")
        yield Static("", id="sent", classes="lead")
        yield Static("", id="expiry", classes="lead")
        yield from problem_lines()
        yield Static("", id="code-label", classes="field-label")
        yield CodeInput(placeholder=_("Type the code"), id="code")
        yield Static("", id="text-code-label", classes="field-label")
        yield CodeInput(placeholder=_("Type the texted code"), id="text-code")
        yield Static("", id="tries", classes="detail")
        yield Static("", id="resend", classes="detail")
        yield Static("", id="sending", classes="sending")

    _hurried: object = None

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Render address, times, a countdown from the state's clock, and resend."""
        assert isinstance(screen, CodeEntry)
        now = state.now
        by_text = screen.by_text
        sent = Text(_("We texted a code to ") if by_text else _("We emailed a code to "))
        sent.append(screen.sent_to, "bold")
        sent.append(_(" at {time}.", time=clock_time(screen.sent_at)))
        self.set_text("sent", sent)
        left = seconds_between(now, screen.expires_at)
        until = clock_time(screen.expires_at)
        if left is None:
            expiry = _("The code works until {time}.", time=until)
        elif left > HURRY_SECONDS:
            expiry = _("The code works until {time}: {left} left.", time=until, left=duration(left))
        elif left > 0:
            expiry = _(
                "Hurry: the code stops working at {time}, in {left}. "
                "If it runs out, press F7 for a new code.",
                time=until,
                left=duration(left),
            )
        else:
            expiry = _("The code expired at {time}. Press F7 for a new code.", time=until)
        self.set_text("expiry", expiry)
        # Near the end the line becomes a warning (bold, with a bar), said aloud once
        # to a holder who uses speech (WCAG 2.2.1: shown and announced before it acts).
        hurry = left is not None and left <= HURRY_SECONDS
        self.query_one("#expiry", Static).set_class(hurry, "warning")
        if hurry and screen.expires_at != self._hurried:
            self._hurried = screen.expires_at
            self.announcement_due = True
        self.set_text("error", screen.error)
        self.set_text("notice", screen.notice)
        two = screen.text_sent_to is not None
        # Two codes (two-channel) take two fields: shorter words, so both fit 80x24.
        if two:
            heading = _("Check your email and your texts")
        else:
            heading = _("Check your texts") if by_text else _("Check your email")
        self.set_text("heading", heading)
        self.set_text(
            "code-label",
            _(
                "Code from the email ({digits} digits, in groups of four as you type):",
                digits=state.config.code_digits,
            )
            if two
            else _(
                "Code from the text ({digits} digits), then press Enter. "
                "It shows as you type it, in groups of four, so you can check it:",
                digits=state.config.code_digits,
            )
            if by_text
            else _(
                "Code from the email ({digits} digits), then press Enter. "
                "It shows as you type it, in groups of four, so you can check it:",
                digits=state.config.code_digits,
            ),
        )
        self.query_one("#code", CodeInput).set_digits(state.config.code_digits)
        # Two codes (policy two-channel): a second field for the texted one.
        texted = self.query_one("#text-code", CodeInput)
        texted.display = screen.text_sent_to is not None
        if screen.text_sent_to is not None:
            texted.set_digits(state.config.code_digits)
            label = Text(_("Code from the text to "))
            label.append(screen.text_sent_to, "bold")
            label.append(_(" (it works for less time), then press Enter:"))
            self.set_text("text-code-label", label)
        else:
            self.set_text("text-code-label", None)
        if screen.tries_left is not None:
            # The service counts wrong codes per journey: a new code keeps the count.
            self.set_text(
                "tries",
                ngettext(
                    "You have {count} try left to type a code. "
                    "A new code does not give you more tries.",
                    "You have {count} tries left to type a code. "
                    "A new code does not give you more tries.",
                    screen.tries_left,
                ),
            )
        else:
            self.set_text("tries", None)
        self.set_text("resend", self._resend_line(screen, now))
        self.set_text(
            "sending", _("Talking to the unlock service… please wait.") if screen.sending else None
        )

    @staticmethod
    def _resend_line(screen: CodeEntry, now: Any) -> str:
        if screen.resends_exhausted:
            return _("No more new codes can be sent for this unlock.")
        wait = (
            None
            if screen.resend_available_at is None
            else seconds_between(now, screen.resend_available_at)
        )
        if screen.by_text:
            if wait:
                return _(
                    "No text? It can take a minute. You can ask for a new code in {wait}.",
                    wait=duration(wait),
                )
            return _("No text? Press F7 for a new code.")
        if wait:
            return _(
                "No email? Check your junk folder. You can ask for a new code in {wait}.",
                wait=duration(wait),
            )
        return _("No email? Check your junk folder, or press F7 for a new code.")

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
