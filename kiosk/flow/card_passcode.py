"""The card's current passcode typed on the kiosk: checks and outcomes both journeys share.

Registering (to prove the holder) and changing the passcode both ask for the
passcode the card has now. A value that cannot be a passcode never reaches the
card, so no card try is spent on it; a wrong one shows the tries left; the card
locking sends the holder back to its status, which then offers the unlock.
"""

from __future__ import annotations

from dataclasses import replace

from contract.language import N_, plural
from kiosk.flow import commands as c
from kiosk.flow import states as s
from kiosk.flow.common import Result, audit, screen_name, status_of, wipe_and_forget
from kiosk.flow.facts import CardFacts, PinState

PASSCODE_MAX_DIGITS = 8
"""A card passcode fits the 8-byte PIN block (docs/design.md section 3)."""

CARD_NOW_LOCKED = N_(
    "Your card is now locked: the passcode was typed wrongly too many times. "
    "Nothing was changed on the card."
)


def passcode_format_problem(passcode: str) -> str | None:
    """Why a typed value cannot be the card's passcode (no card try is spent on it)."""
    if not passcode:
        return N_("Type your passcode.")
    if not passcode.isascii() or not passcode.isdigit() or len(passcode) > PASSCODE_MAX_DIGITS:
        return N_(
            "A passcode is digits only, at most {most}. Check it and type "
            "it again (no try was used).",
            most=PASSCODE_MAX_DIGITS,
        )
    return None


def passcode_wrong_message(tries_left: int) -> str:
    """What the holder reads after a wrong passcode.

    Before the last try the screen already says it twice (the tries left, and the
    warning that a wrong passcode now locks the card), so the message says only that
    this one was wrong.
    """
    if tries_left <= 1:
        return N_("That passcode is not right.")
    return plural(
        "That passcode is not right. You have {count} try left.",
        "That passcode is not right. You have {count} tries left.",
        tries_left,
    )


def card_action_failed_message(reason: str) -> str:
    """What the holder reads when the card did not answer a passcode command properly."""
    return N_(
        "Your card did not answer properly ({reason}). Take it out, put it back in and try again.",
        reason=reason,
    )


def passcode_wrong(
    state: s.KioskState, card: CardFacts, screen: s.Screen, audit_kind: str, tries_left: int
) -> Result:
    """The card refused the passcode: `screen` says so, and the card's tries left are kept."""
    state = replace(state, screen=screen, card=replace(card, tries_left=tries_left))
    return state, [c.WipeInputs(), audit(state, audit_kind, "wrong", tries_left=tries_left)]


def card_now_blocked(state: s.KioskState) -> Result:
    """The card locked on a wrong passcode: back to its status, which offers the unlock."""
    card = state.card
    if card is None:
        return state, []
    card = replace(card, pin=PinState.BLOCKED, tries_left=0)
    state = replace(state, card=card)
    commands = wipe_and_forget(state)
    commands.append(audit(state, "passcode", "blocked", screen=screen_name(state.screen)))
    status = replace(status_of(state, card), notice=CARD_NOW_LOCKED)
    return replace(state, screen=status, journey=None), commands
