"""A card the kiosk cannot use: another kind of card, unreadable, or refused."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import UnreadableReason
from kiosk.flow.states import CardNotRecognised, KioskState
from screens.base import KioskScreen
from screens.language import _
from screens.widgets import RaContactsBox

_WHY = {
    UnreadableReason.NOT_OUR_CARD: (
        _(
            "This is not a smartcard this kiosk can unlock. Check that you put in your "
            "NHS smartcard, not another card."
        )
    ),
    UnreadableReason.READ_ERROR: (
        _(
            "The kiosk could not read your card. Take it out, check it is the right way "
            "up with the chip first, and put it in again."
        )
    ),
    UnreadableReason.SERVICE_REFUSED: (
        _(
            "The unlock service does not know this card, so it cannot be unlocked here. "
            "The RA team can help."
        )
    ),
    UnreadableReason.UNBLOCK_REFUSED: _(
        "Your card did not accept the key that unblocks it, so it cannot be unlocked "
        "here. Do not try again at another kiosk: the RA team can help."
    ),
}


class CardNotRecognisedScreen(KioskScreen):
    """This card cannot be used here, why, and what to do."""

    STATE = CardNotRecognised
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading, the reason, and the RA team."""
        yield Static(_("This card cannot be used here"), classes="heading")
        yield Static("", id="lead", classes="lead")
        yield Static(
            _("Take your card. If your card is damaged, report it to the RA team."),
            classes="detail",
        )
        yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Say why, in the holder's words."""
        assert isinstance(screen, CardNotRecognised)
        self.set_text("lead", _WHY.get(screen.reason, _WHY[UnreadableReason.READ_ERROR]))
        self.show_ra_contacts()
