"""The holder's self-service state at the RA desk, and what the RA can do (issue 17)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.facts import PinState
from kiosk.flow.ra_events import (
    RaClearLockRequested,
    RaContactsRequested,
    RaReportRequested,
    RaSignOutRequested,
    RaUnlockRequested,
)
from kiosk.flow.ra_states import RaHolder
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.wording import item_list


class RaHolderScreen(KioskScreen):
    """Registered or not, locked and why, recent events; clear a lock, unlock the card."""

    STATE = RaHolder
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    BINDINGS = [
        Binding("c", "clear_lock", "Clear the self-service lock", show=False),
        Binding("u", "unlock", "Unlock the card", show=False),
        Binding("e", "contacts", "Email and mobile", show=False),
        Binding("s", "sign_out", "Sign out", show=False),
        Binding("r", "report", "Report", show=False),
    ]

    _can_clear: bool = False
    _can_unlock: bool = False
    _can_edit: bool = False

    def compose_body(self) -> ComposeResult:
        """The holder, their state, what the RA can do, the recent events."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="notice", classes="notice")
        yield Static("", id="error", classes="error")
        yield Static("", id="state", classes="lead")
        yield Static("", id="choices", classes="lead")
        yield Static("", id="recent", classes="detail")
        yield Static("", id="working", classes="sending")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """What the service said about the holder, and the keys that apply."""
        assert isinstance(screen, RaHolder)
        self.set_text("heading", f"Holder: {screen.holder.name}")
        self.set_text("notice", screen.notice)
        self.set_text("error", screen.error)
        view = screen.view
        blocked = screen.holder.pin is PinState.BLOCKED
        self._can_clear = bool(view and view.locked) and not screen.working
        self._can_unlock = view is not None and blocked and not screen.working
        self._can_edit = view is not None and not screen.working
        if view is None:
            self.set_text("state", None)
            self.set_text("working", "Checking the holder's card with the unlock service…")
            self.set_list("choices", None, key=None)
            self.set_text("recent", None)
            self.KEY_HINTS = (("S", "Sign out"),)
            return
        self.set_text("working", "Asking the unlock service…" if screen.working else None)
        if view.locked:
            lock = f"Self-service is LOCKED after {view.failed_attempts} failed answer attempts."
        else:
            lock = f"Self-service is not locked ({view.failed_attempts} failed attempts)."
        lines = [
            "Card: " + ("LOCKED (passcode blocked)" if blocked else "working"),
            "Registered for self-service: " + ("yes" if view.registered else "no"),
            lock,
            f"Email: {view.email}    Mobile: {view.mobile}",
        ]
        self.set_text("state", "\n".join(lines))
        choices = []
        if self._can_clear:
            choices.append((Text(" C ", "reverse bold"), "Clear the self-service lock"))
        if self._can_unlock:
            choices.append(
                (Text(" U ", "reverse bold"), "Unlock the card: the holder chooses a new passcode")
            )
        choices.append((Text(" E ", "reverse bold"), "Record or correct the email and mobile"))
        choices.append((Text(" S ", "reverse bold"), "Sign out"))
        self.set_list(
            "choices",
            item_list("What would you like to do?", choices, "\nOr take the holder's card out."),
            key=(self._can_clear, self._can_unlock),
        )
        recent = "Recent events:\n" + "\n".join(view.recent) if view.recent else None
        self.set_text("recent", recent)
        hints: list[tuple[str, str]] = []
        if self._can_clear:
            hints.append(("C", "Clear lock"))
        if self._can_unlock:
            hints.append(("U", "Unlock card"))
        if screen.session.role == "manager":
            hints.append(("R", "Report"))
        self.KEY_HINTS = (*hints, ("E", "Contacts"), ("S", "Sign out"))

    def action_clear_lock(self) -> None:
        """C: clear the holder's self-service lock."""
        if self._can_clear:
            self.intent(RaClearLockRequested())

    def action_unlock(self) -> None:
        """U: an assisted unlock."""
        if self._can_unlock:
            self.intent(RaUnlockRequested())

    def action_contacts(self) -> None:
        """E: record or correct the holder's email and mobile."""
        if self._can_edit:
            self.intent(RaContactsRequested())

    def action_report(self) -> None:
        """R: the RA manager's report (the flow ignores it for an RA who is not one)."""
        self.intent(RaReportRequested())

    def action_sign_out(self) -> None:
        """S: sign out."""
        self.intent(RaSignOutRequested())
