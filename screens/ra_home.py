"""The RA is signed in: put the holder's card in the reader (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.ra_events import RaReportRequested, RaSignOutRequested
from kiosk.flow.ra_states import RaHome
from kiosk.flow.states import KioskState
from screens.base import KioskScreen


class RaHomeScreen(KioskScreen):
    """Signed in as an RA: waiting for the holder's card."""

    STATE = RaHome
    HELP_TOPIC = None
    ESCAPE_BACKS = False
    KEY_HINTS: tuple[tuple[str, str], ...] = (("S", "Sign out"),)
    BINDINGS = [
        Binding("s", "sign_out", "Sign out", show=False),
        Binding("r", "report", "Report", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        """Who is signed in, what to do next, any notice."""
        yield Static("RA desk", classes="heading")
        yield Static("", id="who", classes="holder")
        yield Static("", id="notice", classes="notice")
        yield Static("", id="lead", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The next step: take your own card out, or put the holder's in."""
        assert isinstance(screen, RaHome)
        session = screen.session
        role = "RA manager" if session.role == "manager" else "RA"
        self.set_text("who", f"Signed in as {session.ra_name} ({role})")
        self.set_text("notice", screen.notice)
        if screen.reading:
            lead = "Reading the card…"
        elif screen.ra_card_in and not screen.returned:
            lead = "Take your own card out, then put the holder's card in the reader."
        elif screen.ra_card_in:
            lead = "Pull your card out to sign out, or press S."
        else:
            lead = (
                "Put the holder's card in the reader. The holder must be here with you.\n\n"
                "Press S to sign out when you are done."
            )
        if session.role == "manager":
            lead += "\n\nPress R for the self-service and RA desk report."
            self.KEY_HINTS = (("R", "Report"), ("S", "Sign out"))
        else:
            self.KEY_HINTS = (("S", "Sign out"),)
        self.set_text("lead", lead)

    def action_report(self) -> None:
        """R: the RA manager's report (the flow ignores it for an RA who is not one)."""
        self.intent(RaReportRequested())

    def action_sign_out(self) -> None:
        """S: sign out."""
        self.intent(RaSignOutRequested())
