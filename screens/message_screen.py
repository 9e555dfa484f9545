"""The screens that only say something fixed: a heading, a message, maybe the RA team."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState
from screens.base import KioskScreen
from screens.language import tr
from screens.widgets import RaContactsBox


class MessageScreen(KioskScreen):
    """A heading and a message under it, the same for every state of the screen.

    Subclasses set `HEADING` and `MESSAGE` (phrases made with `_`); with
    `CONTACT_RA` the RA team's contacts follow.
    """

    HEADING: ClassVar[str]
    MESSAGE: ClassVar[str]
    #: Show the RA team's contacts under the message.
    CONTACT_RA: ClassVar[bool] = False

    def compose_body(self) -> ComposeResult:
        """The heading, the message, and (`CONTACT_RA`) the RA team."""
        yield Static(tr(self.HEADING), classes="heading")
        yield Static(tr(self.MESSAGE), classes="lead")
        if self.CONTACT_RA:
            yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Only the RA team's contacts change (as the service last sent them)."""
        if self.CONTACT_RA:
            self.show_ra_contacts()
