"""The card reader is not connected: the kiosk cannot be used."""

from __future__ import annotations

from kiosk.flow.states import NoReader
from screens.language import _
from screens.message_screen import NoChoiceScreen


class NoReaderScreen(NoChoiceScreen):
    """The card reader is not connected."""

    STATE = NoReader
    HEADING = _("This kiosk cannot read cards right now")
    MESSAGE = _(
        "The card reader is not connected. This screen will change by itself when "
        "the reader is back.\n\nPlease use another kiosk, or contact the RA team."
    )
    CONTACT_RA = True
