"""The screens that mostly say something: a heading, lines under it, maybe the RA team.

A message screen lists its body once, in `LINES`: fixed words, or slots that its
`texts` fills for the state on show. The key policies such screens share are bases
here too: no choice to make (`NoChoiceScreen`), the journey's end with the card
still in (`TakeCardScreen`), and a journey that stopped part way (`StoppedScreen`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, StopReason
from screens.base import KioskScreen
from screens.language import _, tr
from screens.widgets import RaContactsBox

Texts = Mapping[str, Text | str | None]
"""What a message screen's slots show, by id (None: the slot is hidden)."""


@dataclass(frozen=True)
class Line:
    """One Static under the heading: fixed `words`, or (no words) a slot `texts` fills."""

    classes: str = "lead"
    words: str = ""
    id: str | None = None


def slot(widget_id: str, classes: str = "lead") -> Line:
    """A line that says what the state says (`MessageScreen.texts` fills it)."""
    return Line(classes, id=widget_id)


class MessageScreen(KioskScreen):
    """A heading, the `MESSAGE` or `LINES` under it, and (`CONTACT_RA`) the RA team's contacts.

    Subclasses set `HEADING`, and `MESSAGE` or `LINES` (phrases made with `_`), and
    say what their slots show in `texts`.
    """

    HEADING: ClassVar[str]
    #: "heading success" for a journey's happy ending.
    HEADING_CLASSES: ClassVar[str] = "heading"
    #: The message under the heading, when it is the same for every state.
    MESSAGE: ClassVar[str] = ""
    LINES: ClassVar[tuple[Line, ...]] = ()
    #: Show the RA team's contacts under the message.
    CONTACT_RA: ClassVar[bool] = False

    def compose_body(self) -> ComposeResult:
        """The heading, the lines, and (`CONTACT_RA`) the RA team."""
        # `texts` may say another heading (a "heading" slot), as for the policy.
        yield Static(tr(self.HEADING), id="heading", classes=self.HEADING_CLASSES)
        if self.MESSAGE:
            yield Static(tr(self.MESSAGE), classes="lead")
        for line in self.LINES:
            yield Static(tr(line.words), id=line.id, classes=line.classes)
        if self.CONTACT_RA:
            yield RaContactsBox(id="contacts", classes="contacts")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Fill the slots from `texts`; the RA team's contacts as the service last sent them."""
        for widget_id, content in self.texts(screen, state).items():
            self.set_text(widget_id, content)
        if self.CONTACT_RA:
            self.show_ra_contacts()

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """What each slot shows for this state, by id (None: hide it); none by default.

        Args:
            screen: The screen state, an instance of STATE (unwrapped from an outage).
            state: The whole kiosk state.
        """
        return {}


class NoChoiceScreen(MessageScreen):
    """Nothing to choose and nothing to go back to: no Esc, no help page."""

    HELP_TOPIC = None
    ESCAPE_BACKS = False


class TakeCardScreen(NoChoiceScreen):
    """The journey's end with the card still in: taking it out finishes."""

    KEY_HINTS = ((_("Take your card"), _("to finish")),)


SERVICE_PROBLEM = _("Something went wrong with the unlock service.")


class StoppedScreen(MessageScreen):
    """A journey that stopped part way: why (`WHY`, by reason), and Enter to go again."""

    ENTER_CONTINUES = True
    #: Why it stopped, by reason; a reason not listed says `SERVICE_PROBLEM`.
    WHY: ClassVar[Mapping[StopReason, str]] = {}

    def why(self, reason: StopReason) -> str:
        """Why the journey stopped, in words."""
        return self.WHY.get(reason, SERVICE_PROBLEM)
