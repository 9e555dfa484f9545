"""Registered for self-service: the registration's happy ending."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from contract.wire import PolicyOut
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
        told = self.policy  # what the kiosk last heard (GET /v1/policy)
        policy = screen.policy or (told.policy if told is not None else None)
        return {
            "lead": lead,
            "detail": _later(policy, told if told and told.policy == policy else None),
        }


def _later(policy: str | None, told: PolicyOut | None) -> str:
    """What unlocking a locked card will take, as the service's policy says (None: a
    service that does not say, which sends one code by email); `told`, the same policy
    as `GET /v1/policy` put it, says whether questions are asked and texts can go."""
    if policy == "two-channel":
        if told is None or told.registration_needed:
            # Registering is offered under two-channel only where it asks questions.
            return _(
                "If your card ever locks because the passcode was typed wrongly too many "
                "times, put it into a self-service kiosk and answer your security "
                "questions. We will send one code to your email and another to your mobile "
                "phone, and you need both to unlock it."
            )
        return _(
            "If your card ever locks because the passcode was typed wrongly too many "
            "times, put it into a self-service kiosk. We will send one code to your email "
            "and another to your mobile phone, and you need both to unlock it."
        )
    if policy == "national-2023":
        if told is not None and not told.texts:
            return _(
                "If your card ever locks because the passcode was typed wrongly too many "
                "times, put it into a self-service kiosk. We will email you a code to "
                "unlock it."
            )
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
