"""What the screens where a passcode is typed share: the fields, the rules, the tries.

A passcode is typed for the card only (registering, changing it, choosing a new one,
an RA signing in): the fields are `SecretInput`s with the same ids everywhere, so
the same `submit_step` reads them, and the card's tries and rules read the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import SubmitNewPasscode, SubmitPasscode
from screens.base import KioskScreen
from screens.language import _, ngettext
from screens.widgets import SecretInput
from screens.wording import item_list

LAST_TRY_WARNING = _(
    "Warning: this is your last try. If this passcode is wrong, your card will lock "
    "and you will need to unlock it before you can use it again."
)


def tries_text(tries_left: int | None) -> str | None:
    """How many passcode tries the card has left, in words (None when unknown)."""
    if tries_left is None:
        return None
    return ngettext(
        "Your card allows {count} more passcode try before it locks.",
        "Your card allows {count} more passcode tries before it locks.",
        tries_left,
    )


def tries_lines() -> ComposeResult:
    """The lines `PasscodeFormScreen.show_tries` fills: tries left, the last-try warning."""
    yield Static("", id="tries", classes="detail")
    yield Static("", id="warning", classes="warning")


def passcode_field() -> ComposeResult:
    """The card's passcode now, labelled (`#passcode`)."""
    yield Static(_("Your passcode:"), classes="field-label")
    yield SecretInput(placeholder=_("Type your passcode"), id="passcode", max_length=8)


def new_passcode_fields(again_label: str, max_length: int = 0) -> ComposeResult:
    """A new passcode and the same again, labelled (`#new`, `#repeat`).

    Args:
        again_label: The label of the second field.
        max_length: Most characters each field takes (0: no limit).
    """
    yield Static(_("New passcode:"), classes="field-label")
    yield SecretInput(placeholder=_("Type your new passcode"), id="new", max_length=max_length)
    yield Static(again_label, classes="field-label")
    yield SecretInput(placeholder=_("Type it again"), id="repeat", max_length=max_length)


class PasscodeFormScreen(KioskScreen):
    """A screen where passcodes are typed for the card."""

    def typed(self, field_id: str) -> str:
        """What was typed in the secret field `field_id` (without '#')."""
        return self.query_one(f"#{field_id}", SecretInput).value

    def show_tries(self, tries_left: int | None, last_try: bool) -> None:
        """Fill the `tries_lines`: the tries left, and the warning before the last one."""
        self.set_text("tries", tries_text(tries_left))
        self.set_text("warning", LAST_TRY_WARNING if last_try else None)

    def show_rules(self, intro: str, rules: Sequence[str]) -> None:
        """The passcode rules as a bulleted list under `intro`, in the Static `#rules`."""
        self.set_list("rules", item_list(intro, [("•", rule) for rule in rules]), key=rules)


class CardPasscodeScreen(PasscodeFormScreen):
    """Type the card's passcode (`passcode_field`); the card checks it."""

    def submit_step(self) -> None:
        """Send the passcode as typed (to the flow, then the card)."""
        self.intent(SubmitPasscode(passcode=self.typed("passcode")))


class NewPasscodeFormScreen(PasscodeFormScreen):
    """Type a new passcode twice (`new_passcode_fields`); the flow checks the rules."""

    def submit_step(self) -> None:
        """Send both values as typed; the flow checks them against the rules."""
        self.intent(SubmitNewPasscode(new=self.typed("new"), repeat=self.typed("repeat")))
