"""Before an assisted unlock: the RA confirms the holder is here and is the card's (issue 17)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import Continue
from kiosk.flow.ra_states import RaConfirmHolder
from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import _


class RaConfirmHolderScreen(KioskScreen):
    """Is the holder here, and do they match the photo on the card?"""

    STATE = RaConfirmHolder
    HELP_TOPIC = None
    KEY_HINTS = (("Y", _("Yes, they are here and match")), ("Esc", _("Back")))
    BINDINGS = [Binding("y", "confirm", "Confirm", show=False)]

    def compose_body(self) -> ComposeResult:
        """The question, and what happens next."""
        yield Static(_("Check the holder"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static(
            _(
                "Next, the holder types a new passcode on this keyboard, twice. Look away: "
                "you never see or type it. It goes to the card only."
            ),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Name the holder."""
        assert isinstance(screen, RaConfirmHolder)
        self.set_text(
            "lead",
            _(
                "Is {name} here in person, and do they match the photo on the "
                "card?\n\nPress Y to confirm, or Esc to go back.",
                name=screen.holder.name,
            ),
        )

    def action_confirm(self) -> None:
        """Y: the RA confirms."""
        self.intent(Continue())
