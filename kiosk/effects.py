"""Carry out the flow's commands: the card, the service and the local store.

No Textual here: `Effects.run(command)` does the I/O a command asks for and
reports what happened as flow events through `emit`. The app calls it from
workers and posts the events back into the flow. Secrets (answers, codes, the
new passcode) pass through on their way to the service or the card and are
never logged, stored or put into an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from kiosk import service_client as sc
from kiosk.card_access import CardThread, WrongCard
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import facts
from kiosk.registration_effects import RegistrationEffects, registration_refusal
from kiosk.store import LocalStore, OutboxItem

log = logging.getLogger(__name__)

Emit = Callable[[e.Event], None]
Clock = Callable[[], dt.datetime]


def service_event(call: e.Call, exc: sc.ServiceError) -> e.Event:
    """The flow event for a failed service call."""
    if not isinstance(exc, sc.ServiceRejected):
        return e.ServiceUnreachable(failed=call)
    code = exc.code
    if isinstance(exc, sc.MailUnavailable):
        return e.ServiceUnreachable(failed=call, retry_after=exc.retry_after, mail=True)
    if code == "too_many_requests":
        return e.ServiceUnreachable(failed=call, retry_after=exc.retry_after)
    if exc.status >= 500:
        return e.ServiceUnreachable(failed=call)
    if code == "too_many_resends":
        return e.ResendRefused(retry_after=exc.retry_after)
    registration = registration_refusal(call, exc)
    if registration is not None:
        return registration
    simple: dict[str, e.Event] = {
        "self_service_locked": e.SelfServiceLockedReply(),
        "not_registered": e.NotRegisteredReply(),
        "card_proof_invalid": e.CardProofRefused(),
        "code_void": e.CodeVoid(),
        "code_expired": e.CodeExpired(),
        "unlock_expired": e.UnlockExpired(),
        "unknown_unlock": e.UnlockExpired(),
    }
    if code in simple:
        return simple[code]
    if code == "answers_wrong" and exc.attempts_left is not None:
        return e.AnswersWrong(attempts_left=exc.attempts_left)
    if code == "code_wrong" and exc.tries_left is not None:
        return e.CodeWrong(tries_left=exc.tries_left)
    return e.ServiceRefused(failed=call, code=code)


def _questions(items: tuple[sc.Question, ...]) -> tuple[facts.Question, ...]:
    return tuple(facts.Question(id=q.id, text=q.text) for q in items)


def _unreadable(exc: Exception) -> e.CardUnreadable:
    if isinstance(exc, apdu.AppletNotFound):
        return e.CardUnreadable(e.UnreadableReason.NOT_OUR_CARD, str(exc))
    return e.CardUnreadable(e.UnreadableReason.READ_ERROR, str(exc))


class Effects(RegistrationEffects):
    """Runs commands against the card thread, the service client and the store.

    The registration's and the passcode change's handlers come from
    `RegistrationEffects` (kiosk/registration_effects.py).
    """

    def __init__(
        self,
        *,
        card: CardThread,
        client: sc.ServiceClient,
        store: LocalStore,
        emit: Emit,
        clock: Clock,
    ) -> None:
        self.card = card
        self.client = client
        self.store = store
        self.emit = emit
        self.clock = clock
        #: Outbox items the local store could not take (disk full or read-only).
        self.unsaved: list[OutboxItem] = []

    async def run(self, command: c.Command) -> None:
        """Carry out one command; every outcome is emitted as a flow event."""
        handler = getattr(self, f"_do_{type(command).__name__}", None)
        if handler is None:
            log.debug("no effect for %s", type(command).__name__)
            return
        await handler(command)

    # -- the card ----------------------------------------------------------

    async def _do_ReadCard(self, _cmd: c.ReadCard) -> None:
        try:
            card = await self.card.call(lambda access: access.read())
        except (NoCardError, CardRemovedError):
            return  # the watcher reports the removal
        except apdu.CardError as exc:
            self.emit(_unreadable(exc))
            return
        self.emit(e.CardRead(card))

    # -- the service -------------------------------------------------------

    async def _do_CheckService(self, cmd: c.CheckService) -> None:
        try:
            await self.client.health()
        except sc.ServiceError:
            self.emit(e.ServiceUnreachable(failed=e.Call.CHECK_SERVICE))
            return
        self.emit(e.ServiceReachable())

    async def _do_StartUnlock(self, cmd: c.StartUnlock) -> None:
        try:
            nonce = await self.client.new_nonce()
            mac = await self.card.call(lambda access: access.card_mac(cmd.serial, nonce.nonce))
            started = await self.client.start_unlock(cmd.serial, cmd.uuid, nonce.nonce, mac)
        except sc.ServiceError as exc:
            self.emit(service_event(e.Call.START_UNLOCK, exc))
            return
        except (NoCardError, CardRemovedError, WrongCard):
            return  # the watcher reports the removal or the other card
        except apdu.CardError as exc:
            self.emit(_unreadable(exc))
            return
        self.emit(
            e.UnlockStartedReply(
                unlock_id=started.unlock_id,
                next=e.NextStep(started.next),
                expires_at=started.expires_at,
                questions=_questions(started.questions),
                attempts_left=started.attempts_left,
                code_sent_to=started.code_sent_to,
            )
        )

    async def _do_SendAnswers(self, cmd: c.SendAnswers) -> None:
        try:
            sent = await self.client.send_unlock_answers(cmd.unlock_id, cmd.answers)
        except sc.ServiceError as exc:
            self.emit(service_event(e.Call.SEND_ANSWERS, exc))
            return
        self.emit(e.AnswersAccepted(sent.code_sent_to, sent.code_expires_at))

    async def _do_SendCode(self, cmd: c.SendCode) -> None:
        try:
            accepted = await self.client.send_unlock_code(cmd.unlock_id, cmd.code)
        except sc.ServiceError as exc:
            self.emit(service_event(e.Call.SEND_CODE, exc))
            return
        self.emit(e.CodeAcceptedReply(accepted.expires_at))

    async def _do_ResendCode(self, cmd: c.ResendCode) -> None:
        try:
            sent = await self.client.resend_unlock_code(cmd.unlock_id)
        except sc.ServiceError as exc:
            self.emit(service_event(e.Call.RESEND_CODE, exc))
            return
        self.emit(e.ResendDone(sent.code_sent_to, sent.code_expires_at))

    async def _do_WriteNewPasscode(self, cmd: c.WriteNewPasscode) -> None:
        call = e.Call.WRITE_NEW_PASSCODE
        serial = await self._journey_serial()
        try:
            challenge = await self.card.call(lambda access: access.begin_unblock(serial))
        except (NoCardError, CardRemovedError, WrongCard) as exc:
            self.emit(e.CardWriteFailed(reason=str(exc), card_removed=True))
            return
        except apdu.CardError as exc:
            self.emit(e.CardWriteFailed(reason=str(exc)))
            return
        self.emit(e.ChallengeRead())
        try:
            cryptogram = await self.client.get_cryptogram(cmd.unlock_id, challenge)
        except sc.ServiceError as exc:
            await self.card.call(lambda access: access.abort_unblock())
            self.emit(service_event(call, exc))
            return
        self.emit(e.CryptogramReceived())
        new = cmd.new_passcode
        try:
            await self.card.call(lambda access: access.finish_unblock(cryptogram, new))
        except apdu.CardStatusError as exc:
            await self._report(cmd.unlock_id, "card_error", f"{exc.sw:04X}")
            self.emit(e.CardWriteFailed(reason=str(exc), status_word=f"{exc.sw:04X}"))
            return
        except (NoCardError, CardRemovedError) as exc:
            self.emit(e.CardWriteFailed(reason=str(exc), card_removed=True))
            return
        except apdu.CardError as exc:
            self.emit(e.CardWriteFailed(reason=str(exc)))
            return
        reported = await self._report(cmd.unlock_id, "unlocked", "9000")
        self.emit(e.CardWritten(result_reported=reported))

    async def _journey_serial(self) -> str:
        checkpoint = self.store.load_checkpoint()
        if checkpoint is not None:
            return checkpoint.serial
        card = await self.card.call(lambda access: access.read())
        return card.serial

    async def _report(self, unlock_id: str, outcome: str, status_word: str) -> bool:
        """Tell the service what the card answered; False when it could not be told."""
        try:
            await self.client.report_unlock_result(
                unlock_id,
                "unlocked" if outcome == "unlocked" else "card_error",
                status_word,
                idempotency_key=f"result-{unlock_id}-{outcome}",
            )
        except sc.ServiceError as exc:
            log.info("unlock result not delivered yet: %s", type(exc).__name__)
            return False
        return True

    # -- the store ---------------------------------------------------------

    # A full or read-only disk must not stop a holder: the journey goes on (only a
    # resume after a crash is lost), and outbox items wait in memory instead.

    async def _do_SaveCheckpoint(self, cmd: c.SaveCheckpoint) -> None:
        try:
            self.store.save_checkpoint(cmd.checkpoint)
        except sqlite3.Error as exc:
            log.warning("checkpoint not saved (local store: %s)", exc)

    async def _do_ClearCheckpoint(self, _cmd: c.ClearCheckpoint) -> None:
        try:
            self.store.clear_checkpoint()
        except sqlite3.Error as exc:
            log.warning("checkpoint not cleared (local store: %s)", exc)

    async def _do_QueueAudit(self, cmd: c.QueueAudit) -> None:
        at = cmd.at or self.clock()
        payload = {
            "type": cmd.type,
            "outcome": cmd.outcome,
            "at": at.isoformat(),
            "serial": cmd.serial,
            "uuid": cmd.uuid,
            "detail": dict(cmd.detail),
        }
        self._queue(payload, kind="audit", item_id=str(uuid.uuid4()))

    async def _do_QueueResultReport(self, cmd: c.QueueResultReport) -> None:
        payload = {
            "unlock_id": cmd.unlock_id,
            "outcome": cmd.outcome,
            "status_word": cmd.status_word,
        }
        self._queue(payload, kind="unlock_result", item_id=f"result-{cmd.unlock_id}-{cmd.outcome}")

    def _queue(self, payload: dict[str, Any], *, kind: str, item_id: str) -> None:
        now = self.clock()
        try:
            self.store.outbox.add(payload, now=now, kind=kind, item_id=item_id)
        except sqlite3.Error as exc:
            log.warning("outbox item kept in memory (local store: %s)", exc)
            self.unsaved.append(OutboxItem(item_id, kind, payload, now, 0, now))

    # -- the outbox ----------------------------------------------------------

    async def flush_outbox(self) -> int:
        """Send what is due, oldest first; stop at the first failure. Returns items sent."""
        now = self.clock()
        try:
            items = self.store.outbox.due(now)
        except sqlite3.Error:
            items = []
        items += self.unsaved
        sent = 0
        audit = [i for i in items if i.kind == "audit"]
        if audit:
            events = [_audit_event(i.id, i.payload) for i in audit]
            try:
                # The key names this exact batch: a retry of it is one request to the
                # service, while a different batch (more events queued meanwhile, or
                # an item whose deletion the disk refused) is a new one.
                batch = hashlib.sha256("\n".join(i.id for i in audit).encode()).hexdigest()
                await self.client.send_audit(events, idempotency_key=f"audit-{batch[:40]}")
            except sc.ServiceError:
                self._settle(failed=[i.id for i in audit], now=now)
                return sent
            self._settle(delivered=[i.id for i in audit], now=now)
            sent += len(audit)
        for item in (i for i in items if i.kind == "unlock_result"):
            p = item.payload
            if await self._report(str(p["unlock_id"]), str(p["outcome"]), str(p["status_word"])):
                self._settle(delivered=[item.id], now=now)
                sent += 1
            else:
                self._settle(failed=[item.id], now=now)
        return sent

    def _settle(
        self, *, now: dt.datetime, delivered: Sequence[str] = (), failed: Sequence[str] = ()
    ) -> None:
        """Record a delivery outcome in memory and in the store (if it can be written)."""
        done = set(delivered)
        self.unsaved = [i for i in self.unsaved if i.id not in done]
        try:
            if delivered:
                self.store.outbox.delivered(delivered)
            if failed:
                self.store.outbox.failed(failed, now=now)
        except sqlite3.Error as exc:
            log.warning("outbox bookkeeping not saved (local store: %s)", exc)


def _audit_event(item_id: str, payload: dict[str, Any]) -> sc.AuditEvent:
    return sc.AuditEvent(
        id=item_id,
        at=str(payload["at"]),
        type=str(payload["type"]),
        outcome=str(payload["outcome"]),
        serial=payload.get("serial"),
        uuid=payload.get("uuid"),
        detail=payload.get("detail") or {},
    )
