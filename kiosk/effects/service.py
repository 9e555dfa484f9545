"""Effects that ask the unlock service (proving the card or the holder where a call needs it).

Each reply function makes its call and returns the flow event for the answer;
`asking_service` turns one into an effect, so a failed call becomes its flow
event in one place (`kiosk.effects.refusals`). Answers and codes go to the
service only; none is logged, stored or put into an event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from card import apdu
from kiosk import service_client as sc
from kiosk.card_access import Proof, SignedProof
from kiosk.effects import store
from kiosk.effects.card import GONE, passcode_refused, unreadable
from kiosk.effects.parts import Effect, EffectParts
from kiosk.effects.refusals import refusal_event
from kiosk.flow import commands as c
from kiosk.flow import events as e

log = logging.getLogger(__name__)

Reply = Callable[[EffectParts, Any], Awaitable[e.Event | None]]
"""Makes a command's service call; returns the flow event for the answer (None: none)."""


def asking_service(reply: Reply) -> Effect:
    """The effect that emits what `reply` returns, or what the service's refusal means."""

    async def effect(parts: EffectParts, cmd: c.Command) -> None:
        call = cmd.call
        assert call is not None, f"{type(cmd).__name__} names no service call"

        def busy(seconds: int) -> None:
            # The call waits and goes again by itself; the holder is told meanwhile.
            parts.emit(e.ServiceBusy(failed=call, retry_after=seconds))

        try:
            with sc.telling_busy(busy):
                event = await reply(parts, cmd)
        except sc.ServiceError as exc:
            event = refusal_event(call, exc)
        if event is not None:
            parts.emit(event)

    return effect


async def check_service(parts: EffectParts, _cmd: c.CheckService) -> None:
    """CheckService: the probe answers ServiceReachable, or ServiceUnreachable on any failure."""
    try:
        await parts.client.health()
    except sc.ServiceError:
        parts.emit(e.ServiceUnreachable(failed=e.Call.CHECK_SERVICE))
        return
    parts.emit(e.ServiceReachable())


def wire_proof(proof: Proof) -> sc.CardProofValue:
    """A card's proof as the client sends it: the MAC, or a PIV signature and certificate."""
    if isinstance(proof, SignedProof):
        return sc.PivSignature(signature=proof.signature, certificate=proof.certificate)
    return proof


async def start_unlock(parts: EffectParts, cmd: c.StartUnlock) -> e.Event | None:
    """StartUnlock: a nonce, the card-key MAC over it, then POST /v1/unlocks."""
    nonce = await parts.client.new_nonce()
    try:
        mac = await parts.card.call(lambda access: access.card_mac(cmd.serial, nonce.nonce))
    except GONE:
        return None  # the watcher reports the removal or the other card
    except apdu.CardError as exc:
        return unreadable(exc)
    started = await parts.client.start_unlock(cmd.serial, cmd.uuid, nonce.nonce, wire_proof(mac))
    return e.UnlockStartedReply(
        unlock_id=started.unlock_id,
        next=e.NextStep(started.next),
        expires_at=started.expires_at,
        questions=started.questions,
        attempts_left=started.attempts_left,
        code_sent_to=started.code_sent_to,
        text_sent_to=started.text_sent_to,
        not_sent=started.not_sent,
        channels=started.channels,
        policy=started.policy,
    )


async def send_answers(parts: EffectParts, cmd: c.SendAnswers) -> e.Event:
    """SendAnswers: the code is emailed when they are right."""
    sent = await parts.client.send_unlock_answers(cmd.unlock_id, cmd.answers)
    return e.AnswersAccepted(
        sent.code_sent_to, sent.code_expires_at, sent.text_sent_to, not_sent=sent.not_sent
    )


async def choose_channel(parts: EffectParts, cmd: c.ChooseChannel) -> e.Event:
    """ChooseChannel: the code is sent by the holder's choice of email or text."""
    sent = await parts.client.choose_unlock_channel(cmd.unlock_id, cmd.channel)
    return e.AnswersAccepted(sent.code_sent_to, sent.code_expires_at)


async def send_code(parts: EffectParts, cmd: c.SendCode) -> e.Event:
    """SendCode: a fresh window for the card write opens."""
    accepted = await parts.client.send_unlock_code(cmd.unlock_id, cmd.code, text_code=cmd.text_code)
    return e.CodeAcceptedReply(accepted.expires_at)


async def resend_code(parts: EffectParts, cmd: c.ResendCode) -> e.Event:
    """ResendCode: a new unlock code is emailed (or, of two, the one owed)."""
    sent = await parts.client.resend_unlock_code(cmd.unlock_id)
    return e.ResendDone(sent.code_sent_to, sent.code_expires_at, not_sent=sent.not_sent)


async def start_registration(parts: EffectParts, cmd: c.StartRegistration) -> e.Event | None:
    """StartRegistration: a nonce, the holder-key MAC (VERIFY first if given), then the POST."""
    serial, passcode = cmd.serial, cmd.passcode
    nonce = await parts.client.new_nonce()
    try:
        mac = await parts.card.call(lambda access: access.holder_mac(serial, nonce.nonce, passcode))
    except GONE:
        return None
    except apdu.CardError as exc:
        return passcode_refused(exc)
    started = await parts.client.start_registration(
        cmd.serial,
        cmd.uuid,
        nonce.nonce,
        wire_proof(mac),
        cmd.email,
        cmd.mobile,
        cmd.terms_version,
    )
    return e.RegistrationStartedReply(started.registration_id, started.expires_at)


async def load_question_catalogue(parts: EffectParts, _cmd: c.LoadQuestionCatalogue) -> None:
    """LoadQuestionCatalogue: from the service (cached), or the cached copy while it is down."""
    cached = store.cached_catalogue(parts)
    etag = store.cached_etag(cached) if cached is not None else None
    try:
        fetched = await parts.client.questions(etag=etag)
        if fetched is None and cached is not None:
            # 304: the cached copy is current.
            parts.emit(e.CatalogueLoaded(store.cached_questions(cached)))
            return
        if fetched is None:
            # A 304 without a cached copy cannot happen; ask again without the tag.
            fetched = await parts.client.questions()
    except sc.ServiceError as exc:
        questions = store.cached_questions(cached) if cached is not None else ()
        if questions:
            log.info("question catalogue served from the cache: %s", type(exc).__name__)
            parts.emit(e.CatalogueLoaded(questions, from_cache=True))
        else:
            parts.emit(refusal_event(e.Call.LOAD_QUESTION_CATALOGUE, exc))
        return
    if fetched is None:
        return
    store.cache_catalogue(parts, fetched)
    parts.emit(e.CatalogueLoaded(fetched.questions))


async def send_registration_answers(parts: EffectParts, cmd: c.SendRegistrationAnswers) -> e.Event:
    """SendRegistrationAnswers: the registration code is emailed."""
    sent = await parts.client.send_registration_answers(cmd.registration_id, cmd.answers)
    return e.AnswersAccepted(sent.code_sent_to, sent.code_expires_at)


async def confirm_registration(parts: EffectParts, cmd: c.ConfirmRegistration) -> e.Event:
    """ConfirmRegistration: registered when the service takes the code."""
    policy = await parts.client.confirm_registration(cmd.registration_id, cmd.code)
    return e.RegistrationConfirmed(policy)


async def resend_registration_code(parts: EffectParts, cmd: c.ResendRegistrationCode) -> e.Event:
    """ResendRegistrationCode: a new registration code is emailed."""
    sent = await parts.client.resend_registration_code(cmd.registration_id)
    return e.ResendDone(sent.code_sent_to, sent.code_expires_at)


async def report_unlock_result(
    parts: EffectParts, unlock_id: str, outcome: str, status_word: str
) -> bool:
    """Tell the service what the card answered; False when it could not be told."""
    try:
        await parts.client.report_unlock_result(
            unlock_id,
            "unlocked" if outcome == "unlocked" else "card_error",
            status_word,
            idempotency_key=store.result_key(unlock_id, outcome),
        )
    except sc.ServiceError as exc:
        log.info("unlock result not delivered yet: %s", type(exc).__name__)
        return False
    return True


EFFECTS: dict[type[c.Command], Effect] = {
    c.CheckService: check_service,
    c.StartUnlock: asking_service(start_unlock),
    c.SendAnswers: asking_service(send_answers),
    c.SendCode: asking_service(send_code),
    c.ChooseChannel: asking_service(choose_channel),
    c.ResendCode: asking_service(resend_code),
    c.StartRegistration: asking_service(start_registration),
    c.LoadQuestionCatalogue: load_question_catalogue,
    c.SendRegistrationAnswers: asking_service(send_registration_answers),
    c.ConfirmRegistration: asking_service(confirm_registration),
    c.ResendRegistrationCode: asking_service(resend_registration_code),
}
"""Command type -> effect, for the commands that ask the service."""
