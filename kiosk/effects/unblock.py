"""Unblocking the card with its new passcode: card and service in one effect.

GET CHALLENGE on the card the unlock is for, the cryptogram for it from the
service, RESET RETRY COUNTER with the new passcode, then the result reported to
the service (queued by the flow when it cannot be told now). The new passcode
goes to the card only.
"""

from __future__ import annotations

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from kiosk import service_client as sc
from kiosk.effects.card import GONE
from kiosk.effects.parts import Effect, EffectParts
from kiosk.effects.refusals import refusal_event
from kiosk.effects.service import report_unlock_result
from kiosk.flow import commands as c
from kiosk.flow import events as e


async def write_new_passcode(parts: EffectParts, cmd: c.WriteNewPasscode) -> None:
    """WriteNewPasscode: emits ChallengeRead, CryptogramReceived, then how it ended."""
    serial = cmd.serial
    try:
        challenge = await parts.card.call(lambda access: access.begin_unblock(serial))
    except GONE as exc:
        parts.emit(e.CardWriteFailed(reason=str(exc), card_removed=True))
        return
    except apdu.CardError as exc:
        parts.emit(e.CardWriteFailed(reason=str(exc)))
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


EFFECTS: dict[type[c.Command], Effect] = {c.WriteNewPasscode: write_new_passcode}
"""Command type -> effect, for the unblock."""
