"""Changing a working card's passcode: one screen, and its handler.

Old passcode, new one twice, the passcode rules checked before the card is
touched, then CHANGE REFERENCE DATA. No service call: the passcode goes to the
card only.
"""

from __future__ import annotations

from dataclasses import replace

from contract.language import N_
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.card_passcode import (
    card_action_failed_message,
    card_now_blocked,
    passcode_format_problem,
    passcode_wrong,
    passcode_wrong_message,
)
from kiosk.flow.common import HandlerTable, Result, audit, card_of, handler_for
from kiosk.flow.facts import CardFacts, PinState


def start_change_passcode(state: s.KioskState) -> Result:
    """From a working card's status screen: the change passcode form."""
    card = state.card
    if card is None:
        return state, []
    rules = tuple(state.config.passcode_rules.describe())
    screen = s.ChangePasscode(rules=rules, tries_left=card.tries_left)
    return replace(state, screen=screen), [audit(state, "passcode_change", "requested")]


def _change_passcode(
    state: s.KioskState, event: e.Event, screen: s.ChangePasscode, card: CardFacts
) -> Result:
    if isinstance(event, e.SubmitPasscodeChange):
        errors: list[str] = []
        old_problem = passcode_format_problem(event.old)
        if old_problem is not None:
            errors.append(N_("Your passcode now: {problem}", problem=old_problem))
        errors.extend(state.config.passcode_rules.check_pair(event.new, event.repeat))
        if not errors and event.new == event.old:
            errors.append(N_("Choose a new passcode that is different from the one you have now."))
        if errors:
            refused = replace(screen, errors=tuple(errors), notice=None)
            return replace(state, screen=refused), [c.WipeInputs()]
        changing = replace(screen, errors=(), notice=None, changing=True)
        return replace(state, screen=changing), [
            c.ChangeCardPasscode(serial=card.serial, old=event.old, new=event.new)
        ]
    if not screen.changing:
        return state, []
    if isinstance(event, e.CardPasscodeChanged):
        done = s.PasscodeChanged(name=card.name, at=state.now)
        card = replace(card, pin=PinState.VERIFIED, tries_left=None)
        return replace(state, screen=done, card=card), [
            c.WipeInputs(),
            audit(state, "passcode_change", "success"),
        ]
    if isinstance(event, e.PasscodeWrong):
        left = event.tries_left
        message = passcode_wrong_message(left)
        wrong = replace(screen, tries_left=left, errors=(message,), changing=False)
        return passcode_wrong(state, card, wrong, "passcode_change", left)
    if isinstance(event, e.PasscodeBlocked):
        return card_now_blocked(state)
    if isinstance(event, e.CardActionFailed):
        failed = replace(screen, errors=(card_action_failed_message(event.reason),), changing=False)
        return replace(state, screen=failed), [
            c.WipeInputs(),
            audit(state, "passcode_change", "card_error", reason=event.reason),
        ]
    return state, []


HANDLERS: HandlerTable = {
    s.ChangePasscode: handler_for(s.ChangePasscode, card_of, _change_passcode)
}
"""Screen-state type -> handler, for changing a passcode."""
