"""The holder's self-service state at the RA desk, and what the RA can do (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
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
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.language import _, ngettext
from screens.ra_wording import event_line
from screens.wording import choice_list


class RaHolderScreen(ActionKeysScreen):
    """Registered or not, locked and why, recent events; clear a lock, unlock the card."""

    STATE = RaHolder
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    # R: the RA manager's report (the flow ignores it for an RA who is not one).
    ACTION_KEYS = {
        "c": ActionKey(RaClearLockRequested, "Clear the self-service lock"),
        "u": ActionKey(RaUnlockRequested, "Unlock the card"),
        "e": ActionKey(RaContactsRequested, "Email and mobile"),
        "s": ActionKey(RaSignOutRequested, "Sign out"),
        "r": ActionKey(RaReportRequested, "Report"),
    }
    BINDINGS = key_bindings(ACTION_KEYS)

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
        self.set_text("heading", _("Holder: {name}", name=screen.holder.name))
        self.set_text("notice", screen.notice)
        self.set_text("error", screen.error)
        view = screen.view
        blocked = screen.holder.pin is PinState.BLOCKED
        self._can_clear = bool(view and view.locked) and not screen.working
        self._can_unlock = view is not None and blocked and not screen.working
        self._can_edit = view is not None and not screen.working
        if view is None:
            self.set_text("state", None)
            self.set_text("working", _("Checking the holder's card with the unlock service…"))
            self.set_list("choices", None, key=None)
            self.set_text("recent", None)
            self.KEY_HINTS = (("S", _("Sign out")),)
            return
        self.set_text("working", _("Asking the unlock service…") if screen.working else None)
        if view.locked:
            lock = ngettext(
                "Self-service is LOCKED after {count} failed answer attempt.",
                "Self-service is LOCKED after {count} failed answer attempts.",
                view.failed_attempts,
            )
        else:
            lock = ngettext(
                "Self-service is not locked ({count} failed attempt).",
                "Self-service is not locked ({count} failed attempts).",
                view.failed_attempts,
            )
        lines = [
            _("Card: LOCKED (passcode blocked)") if blocked else _("Card: working"),
            _("Registered for self-service: yes")
            if view.registered
            else _("Registered for self-service: no"),
            lock,
            _("Email: {email}    Mobile: {mobile}", email=view.email, mobile=view.mobile),
        ]
        self.set_text("state", "\n".join(lines))
        choices = []
        if self._can_clear:
            choices.append(("C", _("Clear the self-service lock")))
        if self._can_unlock:
            choices.append(("U", _("Unlock the card: the holder chooses a new passcode")))
        choices.append(("E", _("Record or correct the email and mobile")))
        choices.append(("S", _("Sign out")))
        self.set_list(
            "choices",
            choice_list(
                _("What would you like to do?"), choices, _("\nOr take the holder's card out.")
            ),
            key=(self._can_clear, self._can_unlock),
        )
        said = "\n".join(event_line(event) for event in view.recent)
        recent = _("Recent events:") + "\n" + said if view.recent else None
        self.set_text("recent", recent)
        hints: list[tuple[str, str]] = []
        if self._can_clear:
            hints.append(("C", _("Clear lock")))
        if self._can_unlock:
            hints.append(("U", _("Unlock card")))
        if screen.session.role == "manager":
            hints.append(("R", _("Report")))
        self.KEY_HINTS = (*hints, ("E", _("Contacts")), ("S", _("Sign out")))

    def key_allowed(self, key: str) -> bool:
        """C, U and E only when the holder's state allows them; S and R always."""
        gates = {"c": self._can_clear, "u": self._can_unlock, "e": self._can_edit}
        return gates.get(key, True)
