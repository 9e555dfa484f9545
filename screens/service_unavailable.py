"""The unlock service cannot be reached.

Normally this is not a screen of its own: `screens.screen_key` sends a
`ServiceUnavailable` state to the screen it will resume to, which shows the
outage as a banner above its own fields (so what the holder typed stays in
view). `ServiceUnavailableScreen` is the full-screen rendering, used when the app
looks the state up in `SCREENS` directly.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, ServiceUnavailable
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import RaContactsBox
from screens.wording import outage_text


class ServiceUnavailableScreen(KioskScreen):
    """The unlock service cannot be reached; retrying in the background."""

    STATE = ServiceUnavailable
    KEY_HINTS = (("Esc", _("Stop")),)

    def compose_body(self) -> ComposeResult:
        """Heading, what happens, the RA team."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say what failed and when the next try goes (the base shows the banner too)."""
        self.query_one("#banner", Static).display = False
        outage = state.screen if isinstance(state.screen, ServiceUnavailable) else None
        busy = outage is not None and outage.overloaded
        heading = (
            _("Please wait: the unlock service is busy just now")
            if busy
            else _("Please wait: the unlock service is not answering")
        )
        self.set_text("heading", heading)
        self.set_text("lead", outage_text(outage, state.now, self.ra_contacts) if outage else None)
        self.show_ra_contacts()
