"""The keys every screen has for holders who need the screen another way.

F9 switches English / Cymraeg, F10 reads the screen aloud, F11 high contrast,
F12 large text. They work on every screen and over every overlay, keep whatever
was typed, and count as activity (so they never let a session time out). The
language goes back to the deployment's default when the card comes out, so the
next holder is greeted as the deployment chose; contrast and text size stay
until then too.
"""

from __future__ import annotations

import logging
from typing import Any

from contract.language import Language
from kiosk.speech import Speaker, spoken
from screens.base import KioskView
from screens.language import current, set_current

log = logging.getLogger(__name__)

LANGUAGE_KEY = "f9"
READ_ALOUD_KEY = "f10"
HIGH_CONTRAST_KEY = "f11"
LARGE_TEXT_KEY = "f12"
HIGH_CONTRAST = "high-contrast"
"""App class of the high-contrast theme (screens/kiosk.tcss)."""
LARGE_TEXT = "large-text"
"""App class of the large-text layout (screens/kiosk.tcss)."""


class AccessKeys:
    """What the access keys do to the app: language, speech, contrast, text size.

    Args:
        app: The kiosk app (its screen stack, classes and service client).
        default: The deployment's language.
        speaker: Reads aloud (espeak-ng); tests hand one that records.
    """

    def __init__(self, app: Any, default: Language, speaker: Speaker) -> None:
        self.app = app
        self.default = default
        self.speaker = speaker
        self.spoke = False
        """Whether the holder has asked for speech: warnings are then spoken too."""
        set_current(default)

    def handle(self, key: str) -> bool:
        """Act on `key` if it is an access key; whether it was."""
        if key == LANGUAGE_KEY:
            self.set_language(current().other)
        elif key == READ_ALOUD_KEY:
            self.spoke = True
            self.read_aloud()
        elif key == HIGH_CONTRAST_KEY:
            self.app.toggle_class(HIGH_CONTRAST)
        elif key == LARGE_TEXT_KEY:
            self.app.toggle_class(LARGE_TEXT)
        else:
            return False
        return True

    def set_language(self, language: Language) -> None:
        """Speak `language` from now on: screens, read-aloud and the service's mail."""
        set_current(language)
        client = getattr(self.app, "client", None)
        if client is not None and hasattr(client, "language"):
            client.language = language.value
        self.speaker.stop()
        self.app.redraw()

    def card_gone(self) -> None:
        """The card came out: the next holder starts in the deployment's language."""
        self.spoke = False
        self.speaker.stop()
        self.app.remove_class(HIGH_CONTRAST, LARGE_TEXT)
        if current() is not self.default:
            self.set_language(self.default)

    def read_aloud(self) -> None:
        """Say what is on show: the overlay if there is one, else the screen."""
        view = self.app.screen
        if not isinstance(view, KioskView):
            return
        self.speaker.say(spoken(view.spoken_parts()), current())

    def announce(self) -> None:
        """Say what just came up (a time-out warning) if the holder uses speech."""
        if self.spoke:
            self.read_aloud()
