"""The card was removed mid-session: everything typed is gone."""

from __future__ import annotations

from kiosk.flow.states import CardRemovedNotice
from screens.language import _
from screens.message_screen import NoChoiceScreen


class CardRemovedScreen(NoChoiceScreen):
    """Your card was removed; everything you typed was cleared."""

    STATE = CardRemovedNotice
    HEADING = _("Your card was removed")
    MESSAGE = _(
        "Everything you typed has been cleared.\n\n"
        "To start again, put your card back into the reader."
    )
