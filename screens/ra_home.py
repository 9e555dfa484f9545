"""The RA is signed in: put the holder's card in the reader (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.ra_events import RaReportRequested, RaSignOutRequested
from kiosk.flow.ra_states import RaHome
from kiosk.flow.states import KioskState
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.language import _


class RaHomeScreen(ActionKeysScreen):
    """Signed in as an RA: waiting for the holder's card."""

    STATE = RaHome
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS: tuple[tuple[str, str], ...] = (("S", _("Sign out")),)
    # R: the RA manager's report (the flow ignores it for an RA who is not one).
    ACTION_KEYS = {
        "s": ActionKey(RaSignOutRequested, "Sign out"),
        "r": ActionKey(RaReportRequested, "Report"),
    }
    BINDINGS = key_bindings(ACTION_KEYS)

    def compose_body(self) -> ComposeResult:
        """Who is signed in, what to do next, any notice."""
        yield Static(_("RA desk"), classes="heading")
        yield Static("", id="who", classes="holder")
        yield Static("", id="notice", classes="notice")
        yield Static("", id="lead", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The next step: take your own card out, or put the holder's in."""
        assert isinstance(screen, RaHome)
        session = screen.session
        who = (
            _("Signed in as {name} (RA manager)", name=session.ra_name)
            if session.role == "manager"
            else _("Signed in as {name} (RA)", name=session.ra_name)
        )
        self.set_text("who", who)
        self.set_text("notice", screen.notice)
        if screen.reading:
            lead: str = _("Reading the card…")
        elif screen.ra_card_in and not screen.returned:
            lead = _("Take your own card out, then put the holder's card in the reader.")
        elif screen.ra_card_in:
            lead = _("Pull your card out to sign out, or press S.")
        else:
            lead = _(
                "Put the holder's card in the reader. The holder must be here with you.\n\n"
                "Press S to sign out when you are done."
            )
        if session.role == "manager":
            lead += _("\n\nPress R for the self-service and RA desk report.")
            self.KEY_HINTS = (("R", _("Report")), ("S", _("Sign out")))
        else:
            self.KEY_HINTS = (("S", _("Sign out")),)
        self.set_text("lead", lead)
