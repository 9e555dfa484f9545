"""Effects on the card alone: read it, check its passcode, change its passcode.

The passcode goes to the card only; it is never logged, stored or put into an
event. A card taken out (or swapped) mid-command is the watcher's to report.
"""

from __future__ import annotations

from collections.abc import Callable

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from kiosk.card_access import CardAccess, HolderNotVerifiedError, WrongCard
from kiosk.effects.parts import Effect, EffectParts
from kiosk.flow import commands as c
from kiosk.flow import events as e

GONE = (NoCardError, CardRemovedError, WrongCard)
"""The card left the reader, or another card is in: the watcher reports it."""


def unreadable(exc: Exception) -> e.CardUnreadable:
    """The flow event for a card that could not be read or could not prove itself."""
    if isinstance(exc, apdu.AppletNotFound):
        return e.CardUnreadable(e.UnreadableReason.NOT_OUR_CARD, str(exc))
    return e.CardUnreadable(e.UnreadableReason.READ_ERROR, str(exc))


def passcode_refused(exc: apdu.CardError) -> e.Event:
    """The flow event for a card refusing a passcode command."""
    if isinstance(exc, apdu.WrongPin):
        return e.PasscodeWrong(tries_left=exc.tries_left)
    if isinstance(exc, apdu.PinBlocked):
        return e.PasscodeBlocked()
    if isinstance(exc, HolderNotVerifiedError):
        return e.HolderNotVerified()
    return e.CardActionFailed(reason=str(exc))


async def read_card(parts: EffectParts, _cmd: c.ReadCard) -> None:
    """ReadCard: the card's facts, or why it could not be read."""
    try:
        card = await parts.card.call(lambda access: access.read())
    except (NoCardError, CardRemovedError):
        return  # the watcher reports the removal
    except apdu.CardError as exc:
        parts.emit(unreadable(exc))
        return
    parts.emit(e.CardRead(card))


async def verify_passcode(parts: EffectParts, cmd: c.VerifyPasscode) -> None:
    """VerifyPasscode: VERIFY on the card with the command's serial."""
    serial, passcode = cmd.serial, cmd.passcode
    await _passcode_command(
        parts, lambda access: access.verify(serial, passcode), e.PasscodeVerified()
    )


async def change_card_passcode(parts: EffectParts, cmd: c.ChangeCardPasscode) -> None:
    """ChangeCardPasscode: CHANGE REFERENCE DATA on the card with the command's serial."""
    serial, old, new = cmd.serial, cmd.old, cmd.new
    await _passcode_command(
        parts, lambda access: access.change_passcode(serial, old, new), e.CardPasscodeChanged()
    )


async def _passcode_command(
    parts: EffectParts, command: Callable[[CardAccess], None], done: e.Event
) -> None:
    try:
        await parts.card.call(command)
    except GONE:
        return
    except apdu.CardError as exc:
        parts.emit(passcode_refused(exc))
        return
    parts.emit(done)


EFFECTS: dict[type[c.Command], Effect] = {
    c.ReadCard: read_card,
    c.VerifyPasscode: verify_passcode,
    c.ChangeCardPasscode: change_card_passcode,
}
"""Command type -> effect, for the card's own commands."""
