"""Carry out the registration and change-passcode commands (a part of `kiosk.effects`).

`RegistrationEffects` is mixed into `kiosk.effects.Effects`, which finds its
`_do_<Command>` methods by name. The passcode goes to the card only; answers and
codes go to the service only; none is logged, stored or put into an event.

The question catalogue is cached in the local store (`cache`, key "questions")
each time the service sends it, and served from there while the service is down.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from kiosk import service_client as sc
from kiosk.card_access import CardThread, HolderNotVerified, WrongCard
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import facts
from kiosk.store import LocalStore

log = logging.getLogger(__name__)

CATALOGUE_KEY = "questions"
"""Cache key of the question catalogue in the local store."""

_REGISTRATION_CALLS = (
    e.Call.START_REGISTRATION,
    e.Call.LOAD_QUESTION_CATALOGUE,
    e.Call.SEND_REGISTRATION_ANSWERS,
    e.Call.CONFIRM_REGISTRATION,
    e.Call.RESEND_REGISTRATION_CODE,
)


def registration_refusal(call: e.Call, exc: sc.ServiceError) -> e.Event | None:
    """The flow event for a refusal only a registration call can get, else None.

    `kiosk.effects.service_event` asks this first and maps everything shared
    (code_wrong, code_void, too_many_resends, outages ...) itself.
    """
    if call not in _REGISTRATION_CALLS or not isinstance(exc, sc.ServiceRejected):
        return None
    code = exc.code
    if code == "holder_proof_invalid":
        return e.CardProofRefused()
    if code == "email_not_approved":
        domains = exc.extras.get("approved_domains")
        listed = tuple(str(d) for d in domains) if isinstance(domains, list) else ()
        return e.EmailNotApproved(approved_domains=listed)
    if code == "mobile_invalid":
        return e.MobileRefused()
    if code == "terms_outdated":
        version = exc.extras.get("terms_version")
        return e.TermsOutdated(terms_version=str(version) if version is not None else None)
    if code == "answers_invalid" and call is e.Call.SEND_REGISTRATION_ANSWERS:
        return e.RegistrationAnswersRefused(detail=exc.detail)
    if code in ("registration_expired", "unknown_registration"):
        return e.RegistrationExpired()
    return None


def _passcode_event(exc: apdu.CardError) -> e.Event:
    """The flow event for a card refusing a passcode command."""
    if isinstance(exc, apdu.WrongPin):
        return e.PasscodeWrong(tries_left=exc.tries_left)
    if isinstance(exc, apdu.PinBlocked):
        return e.PasscodeBlocked()
    if isinstance(exc, HolderNotVerified):
        return e.HolderNotVerified()
    return e.CardActionFailed(reason=str(exc))


class RegistrationEffects:
    """The registration's and the passcode change's `_do_<Command>` handlers."""

    card: CardThread
    client: sc.ServiceClient
    store: LocalStore
    emit: Callable[[e.Event], None]
    clock: Callable[[], dt.datetime]

    def _refused(self, call: e.Call, exc: sc.ServiceError) -> e.Event:
        # Imported here: kiosk.effects imports this module for the mixin.
        from kiosk.effects import service_event

        return service_event(call, exc)

    # -- the card ----------------------------------------------------------

    async def _do_VerifyPasscode(self, cmd: c.VerifyPasscode) -> None:
        serial, passcode = cmd.serial, cmd.passcode
        try:
            await self.card.call(lambda access: access.verify(serial, passcode))
        except (NoCardError, CardRemovedError, WrongCard):
            return  # the watcher reports the removal or the other card
        except apdu.CardError as exc:
            self.emit(_passcode_event(exc))
            return
        self.emit(e.PasscodeVerified())

    async def _do_ChangeCardPasscode(self, cmd: c.ChangeCardPasscode) -> None:
        serial, old, new = cmd.serial, cmd.old, cmd.new
        try:
            await self.card.call(lambda access: access.change_passcode(serial, old, new))
        except (NoCardError, CardRemovedError, WrongCard):
            return
        except apdu.CardError as exc:
            self.emit(_passcode_event(exc))
            return
        self.emit(e.CardPasscodeChanged())

    # -- the service -------------------------------------------------------

    async def _do_StartRegistration(self, cmd: c.StartRegistration) -> None:
        call = e.Call.START_REGISTRATION
        serial, passcode = cmd.serial, cmd.passcode
        try:
            nonce = await self.client.new_nonce()
            mac = await self.card.call(
                lambda access: access.holder_mac(serial, nonce.nonce, passcode)
            )
            started = await self.client.start_registration(
                cmd.serial,
                cmd.uuid,
                nonce.nonce,
                mac,
                cmd.email,
                cmd.mobile,
                cmd.terms_version,
            )
        except sc.ServiceError as exc:
            self.emit(self._refused(call, exc))
            return
        except (NoCardError, CardRemovedError, WrongCard):
            return
        except apdu.CardError as exc:
            self.emit(_passcode_event(exc))
            return
        self.emit(e.RegistrationStartedReply(started.registration_id, started.expires_at))

    async def _do_LoadQuestionCatalogue(self, _cmd: c.LoadQuestionCatalogue) -> None:
        try:
            cached = self.store.cache.get(CATALOGUE_KEY)
        except sqlite3.Error:
            cached = None  # an unreadable store only costs the offline copy
        etag = _cached_etag(cached.value) if cached is not None else None
        try:
            fetched = await self.client.questions(etag=etag)
        except sc.ServiceError as exc:
            questions = _cached_questions(cached.value) if cached is not None else ()
            if questions:
                log.info("question catalogue served from the cache: %s", type(exc).__name__)
                self.emit(e.CatalogueLoaded(questions, from_cache=True))
            else:
                self.emit(self._refused(e.Call.LOAD_QUESTION_CATALOGUE, exc))
            return
        if fetched is None and cached is not None:
            # 304: the cached copy is current.
            self.emit(e.CatalogueLoaded(_cached_questions(cached.value)))
            return
        if fetched is None:
            # A 304 without a cached copy cannot happen; ask again without the tag.
            fetched = await self._questions_afresh()
            if fetched is None:
                return
        value = {
            "version": fetched.version,
            "etag": fetched.etag,
            "questions": [{"id": q.id, "text": q.text} for q in fetched.questions],
        }
        try:
            self.store.cache.put(CATALOGUE_KEY, value, fetched_at=self.clock())
        except sqlite3.Error as exc:
            # A full or read-only disk must not stop a registration: the catalogue
            # is shown from the service's answer, just not kept for an outage.
            log.warning("question catalogue not cached (local store: %s)", exc)
        questions = tuple(facts.Question(id=q.id, text=q.text) for q in fetched.questions)
        self.emit(e.CatalogueLoaded(questions))

    async def _questions_afresh(self) -> sc.QuestionCatalogue | None:
        try:
            return await self.client.questions()
        except sc.ServiceError as exc:
            self.emit(self._refused(e.Call.LOAD_QUESTION_CATALOGUE, exc))
            return None

    async def _do_SendRegistrationAnswers(self, cmd: c.SendRegistrationAnswers) -> None:
        try:
            sent = await self.client.send_registration_answers(cmd.registration_id, cmd.answers)
        except sc.ServiceError as exc:
            self.emit(self._refused(e.Call.SEND_REGISTRATION_ANSWERS, exc))
            return
        self.emit(e.AnswersAccepted(sent.code_sent_to, sent.code_expires_at))

    async def _do_ConfirmRegistration(self, cmd: c.ConfirmRegistration) -> None:
        try:
            await self.client.confirm_registration(cmd.registration_id, cmd.code)
        except sc.ServiceError as exc:
            self.emit(self._refused(e.Call.CONFIRM_REGISTRATION, exc))
            return
        self.emit(e.RegistrationConfirmed())

    async def _do_ResendRegistrationCode(self, cmd: c.ResendRegistrationCode) -> None:
        try:
            sent = await self.client.resend_registration_code(cmd.registration_id)
        except sc.ServiceError as exc:
            self.emit(self._refused(e.Call.RESEND_REGISTRATION_CODE, exc))
            return
        self.emit(e.ResendDone(sent.code_sent_to, sent.code_expires_at))


def _cached_etag(value: Any) -> str | None:
    etag = value.get("etag") if isinstance(value, dict) else None
    return etag if isinstance(etag, str) and etag else None


def _cached_questions(value: Any) -> tuple[facts.Question, ...]:
    """The questions of a cached catalogue; () when the cache holds something else."""
    items = value.get("questions") if isinstance(value, dict) else None
    if not isinstance(items, list):
        return ()
    questions = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            questions.append(facts.Question(id=item["id"], text=str(item.get("text", ""))))
    return tuple(questions)
