"""Registered for self-service: the registration's happy ending."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from kiosk.flow.states import KioskState, Registered
from screens.language import _
from screens.message_screen import TakeCardScreen, Texts, slot
from screens.wording import bold_value


class RegisteredScreen(TakeCardScreen):
    """You are registered; take your card."""

    STATE = Registered
    HEADING = _("You are registered for self-service")
    HEADING_CLASSES = "heading success"
    LINES = (slot("lead"), slot("detail", "detail"))

    def texts(self, screen: Any, state: KioskState) -> Texts:
        """Say whose registration, and what a locked card will need under the policy."""
        assert isinstance(screen, Registered)
        if not screen.name:
            lead: Text | str = _("You can now unlock your own card here. Take your card now.")
        else:
            lead = bold_value(
                _("{name}, you can now unlock your own card here. Take your card now.", name="\0"),
                screen.name,
            )
        policy = screen.policy
        if policy is None and self.policy is not None:
            policy = self.policy.policy  # the reply did not say: what the kiosk last heard
        return {"lead": lead, "detail": _later(policy)}


def _later(policy: str | None) -> str:
    """What unlocking a locked card will take, as the service's policy says (None: a
    service that does not say, which sends one code by email)."""
    if policy == "two-channel":
        return _(
            "If your card ever locks because the passcode was typed wrongly too many "
            "times, put it into a self-service kiosk. We will send one code to your email "
            "and another to your mobile phone, and you need both to unlock it."
        )
    if policy == "national-2023":
        return _(
            "If your card ever locks because the passcode was typed wrongly too many "
            "times, put it into a self-service kiosk. We will send you a code by email or "
            "by text message to unlock it."
        )
    return _(
        "If your card ever locks because the passcode was typed wrongly too many "
        "times, put it into a self-service kiosk and answer your security questions. "
        "We will email you a code to unlock it."
    )
