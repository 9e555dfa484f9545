"""Writing the new passcode to the card."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, WriteStage, WritingCard
from screens.base import KioskScreen
from screens.language import _, tr

_STAGES = (
    (WriteStage.STARTING, _("Getting your card ready")),
    (WriteStage.ASKING_SERVICE, _("Getting the unlock key from the unlock service")),
    (WriteStage.WRITING, _("Saving your new passcode on your card")),
)


class WritingCardScreen(KioskScreen):
    """Updating your card: do not remove it."""

    STATE = WritingCard
    HELP_TOPIC = None
    # Stopping half way could leave the card part-written; the flow ignores Back here.
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading, warning and the stages."""
        yield Static(_("Updating your card…"), classes="heading")
        yield Static(_("Do not remove your card."), classes="warning")
        yield Static("", id="stages", classes="lead")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Tick off the stages done so far."""
        assert isinstance(screen, WritingCard)
        current = [stage for stage, _label in _STAGES].index(screen.stage)
        text = Text()
        for index, (_stage, phrase) in enumerate(_STAGES):
            label = tr(phrase)
            if index < current:
                text.append("  ✓ " + label + "\n")
            elif index == current:
                text.append("  → " + label + "…\n", "bold")
            else:
                text.append("    " + label + "\n", "dim")
        self.set_text("stages", text)
