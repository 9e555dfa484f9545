"""Unblocking the card with its new passcode: card and service in one effect.

Own applet: GET CHALLENGE on the card the unlock is for, the cryptogram for it
from the service, RESET RETRY COUNTER with the new passcode. PIV (a 32-hex GUID):
the escrowed PUK and the fresh one from the service (settling an earlier, unreported
rotation first, at most one PUK try), RESET RETRY COUNTER with the PUK and CHANGE
REFERENCE DATA to the fresh PUK, then the rotation reported. Either way the result
is reported to the service (queued by the flow when it cannot be told now).
`SettlePuk` finishes a PIV unblock that a stopped kiosk left unreported. The
new passcode goes to the card only; the PUKs live in this effect's memory only,
for the APDUs that need them, and never reach an event, the store or a log.
"""

from __future__ import annotations

import logging

from card import apdu, piv
from card.pcsc import CardRemovedError, NoCardError
from card.piv import Puk
from kiosk import service_client as sc
from kiosk.effects.card import GONE
from kiosk.effects.parts import Effect, EffectParts
from kiosk.effects.refusals import refusal_event
from kiosk.effects.service import report_unlock_result
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.facts import PIV_SERIAL_LENGTH

log = logging.getLogger(__name__)


async def write_new_passcode(parts: EffectParts, cmd: c.WriteNewPasscode) -> None:
    """WriteNewPasscode: emits ChallengeRead, CryptogramReceived, then how it ended."""
    if len(cmd.serial) == PIV_SERIAL_LENGTH:
        await _write_piv(parts, cmd)
        return
    serial = cmd.serial
    try:
        challenge = await parts.card.call(lambda access: access.begin_unblock(serial))
    except apdu.CardError as exc:
        parts.emit(_write_failed(exc))
        return
    parts.emit(e.ChallengeRead())
    try:
        cryptogram = await parts.client.get_cryptogram(cmd.unlock_id, challenge)
    except sc.ServiceError as exc:
        await parts.card.call(lambda access: access.abort_unblock())
        parts.emit(refusal_event(e.Call.WRITE_NEW_PASSCODE, exc))
        return
    parts.emit(e.CryptogramReceived())
    new = cmd.new_passcode
    try:
        await parts.card.call(lambda access: access.finish_unblock(cryptogram, new))
    except apdu.CardStatusError as exc:
        word = f"{exc.sw:04X}"
        await report_unlock_result(parts, cmd.unlock_id, "card_error", word)
        parts.emit(e.CardWriteFailed(reason=str(exc), status_word=word))
        return
    except (NoCardError, CardRemovedError) as exc:
        parts.emit(e.CardWriteFailed(reason=str(exc), card_removed=True))
        return
    except apdu.CardError as exc:
        parts.emit(e.CardWriteFailed(reason=str(exc)))
        return
    reported = await report_unlock_result(parts, cmd.unlock_id, "unlocked", "9000")
    parts.emit(e.CardWritten(result_reported=reported))


async def settle_puk(parts: EffectParts, cmd: c.SettlePuk) -> None:
    """SettlePuk: the PUK pair, the card left on the fresh PUK, the rotation reported,
    the PUK counter filled again. Posts nothing; a failure leaves it to the next
    unblock (the service keeps both PUKs meanwhile)."""
    serial, unlock_id = cmd.serial, cmd.unlock_id
    try:
        pair = await parts.client.get_puk(unlock_id)
        puk, next_puk, rotation = Puk(pair.puk), Puk(pair.next_puk), pair.rotation
        del pair
        await parts.card.call(lambda access: access.piv_settle(serial, puk, next_puk))
        # Reported before anything else: what a refused try taught is kept.
        await parts.client.report_puk_rotated(unlock_id, rotation)
        await parts.card.call(lambda access: access.piv_refill(serial, next_puk))
    except (sc.ServiceError, apdu.CardError) as exc:
        log.info("the PUK could not be settled after a restart (%s)", type(exc).__name__)


EFFECTS: dict[type[c.Command], Effect] = {
    c.WriteNewPasscode: write_new_passcode,
    c.SettlePuk: settle_puk,
}
"""Command type -> effect, for the unblock."""


async def _write_piv(parts: EffectParts, cmd: c.WriteNewPasscode) -> None:
    """The PIV unblock: PUK pair from the service, unblock and rotate, report."""
    serial, unlock_id = cmd.serial, cmd.unlock_id
    parts.emit(e.ChallengeRead())  # the card is there; now the service
    try:
        pair = await parts.client.get_puk(unlock_id)
        if pair.settle:
            # An earlier rotation was not reported: the card holds one of the two.
            puk, next_puk, rotation = Puk(pair.puk), Puk(pair.next_puk), pair.rotation
            del pair
            await parts.card.call(lambda access: access.piv_settle(serial, puk, next_puk))
            await parts.client.report_puk_rotated(unlock_id, rotation)
            pair = await parts.client.get_puk(unlock_id)
    except sc.ServiceError as exc:
        parts.emit(refusal_event(e.Call.WRITE_NEW_PASSCODE, exc))
        return
    except (piv.WrongPuk, piv.PukBlocked) as exc:
        await _puk_refused(parts, unlock_id, exc)
        return
    except apdu.CardError as exc:
        parts.emit(_write_failed(exc))
        return
    puk, next_puk, rotation = Puk(pair.puk), Puk(pair.next_puk), pair.rotation
    del pair
    parts.emit(e.CryptogramReceived())
    new = cmd.new_passcode
    try:
        await parts.card.call(lambda access: access.piv_unblock(serial, puk, next_puk, new))
    except (piv.WrongPuk, piv.PukBlocked) as exc:
        await _puk_refused(parts, unlock_id, exc)
        return
    except apdu.CardStatusError as exc:
        word = f"{exc.sw:04X}"
        await report_unlock_result(parts, unlock_id, "card_error", word)
        parts.emit(e.CardWriteFailed(reason=str(exc), status_word=word))
        return
    except apdu.CardError as exc:
        # Taken out, how far it got is unknown: the service's next release says "settle".
        parts.emit(_write_failed(exc))
        return
    try:
        await parts.client.report_puk_rotated(unlock_id, rotation)
    except sc.ServiceError:
        # The escrow keeps both PUKs; the next release settles which the card holds.
        log.warning("the PUK rotation could not be reported; the next unblock settles it")
    reported = await report_unlock_result(parts, unlock_id, "unlocked", "9000")
    parts.emit(e.CardWritten(result_reported=reported))


def _write_failed(exc: apdu.CardError) -> e.CardWriteFailed:
    """The card did not take the write: taken out (or another card in), or it failed."""
    return e.CardWriteFailed(reason=str(exc), card_removed=isinstance(exc, GONE))


async def _puk_refused(parts: EffectParts, unlock_id: str, exc: apdu.CardError) -> None:
    """The card refused the service's PUK: no value is ever tried again here."""
    word = "6983" if isinstance(exc, piv.PukBlocked) else f"63C{getattr(exc, 'tries_left', 0):X}"
    await report_unlock_result(parts, unlock_id, "card_error", word)
    parts.emit(e.CardWriteFailed(reason=str(exc), status_word=word, final=True))
