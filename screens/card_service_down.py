"""The computer's smartcard service is down and being restarted."""

from __future__ import annotations

from kiosk.flow.states import NoCardService
from screens.language import _
from screens.message_screen import NoChoiceScreen


class CardServiceDownScreen(NoChoiceScreen):
    """The smartcard service is restarting: wait, or use another kiosk."""

    STATE = NoCardService
    HEADING = _("This kiosk is restarting its card service")
    MESSAGE = _(
        "The kiosk cannot talk to card readers for a moment. It is fixing this by "
        "itself; please wait a minute.\n\nIf this screen does not go away, please "
        "use another kiosk, or contact the RA team."
    )
    CONTACT_RA = True
