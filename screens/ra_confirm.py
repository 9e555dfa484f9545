"""Before an assisted unlock: the RA confirms the holder is here and is the card's (issue 17)."""

from __future__ import annotations

from typing import Any

from kiosk.flow.events import Continue
from kiosk.flow.ra_states import RaConfirmHolder
from kiosk.flow.states import KioskState
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.language import _
from screens.message_screen import Line, MessageScreen, Texts, slot


class RaConfirmHolderScreen(MessageScreen, ActionKeysScreen):
    """Is the holder here, and do they match the photo on the card?"""

    STATE = RaConfirmHolder
    HELP_TOPIC = None
    KEY_HINTS = (("Y", _("Yes, they are here and match")), ("Esc", _("Back")))
    ACTION_KEYS = {"y": ActionKey(Continue, "Confirm")}
    BINDINGS = key_bindings(ACTION_KEYS)
    HEADING = _("Check the holder")
    LINES = (
        slot("lead"),
        Line(
            "detail",
            _(
                "Next, the holder types a new passcode on this keyboard, twice. Look away: "
                "you never see or type it. It goes to the card only."
            ),
        ),
    )

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Name the holder."""
        assert isinstance(screen, RaConfirmHolder)
        return {
            "lead": _(
                "Is {name} here in person, and do they match the photo on the "
                "card?\n\nPress Y to confirm, or Esc to go back.",
                name=screen.holder.name,
            )
        }
