"""Waiting for a card: the kiosk's resting screen."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.states import KioskState, WaitingForCard
from screens.base import KioskScreen
from screens.language import _


class WaitingForCardScreen(KioskScreen):
    """Insert your smartcard."""

    STATE = WaitingForCard
    ESCAPE_BACKS = False

    def compose_body(self) -> ComposeResult:
        """Heading and how to start."""
        yield Static(_("Insert your smartcard"), classes="heading")
        yield Static(
            _(
                "Put your smartcard into the card reader, chip first and facing up.\n\n"
                "Use this kiosk if your card is locked because the passcode was typed "
                "wrongly too many times. You will need to read your email here or on "
                "your phone."
            ),
            classes="lead",
        )
        yield Static(
            _(
                "With a card that works, you can register for self-service here, so that "
                "you can unlock it yourself if it ever locks, or change your passcode."
            ),
            classes="lead",
        )
        yield Static(
            _(
                "Lost, stolen or damaged card? Do not use this kiosk: press F1 and "
                "contact the RA team at once. F1 also explains expiring cards, forgotten "
                "passcodes and the terms of self-service."
            ),
            classes="detail",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Nothing changes on this screen."""
