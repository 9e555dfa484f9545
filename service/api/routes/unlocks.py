"""The unlock journey: /v1/unlocks and its steps (docs/api.md "Unlock")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from contract.wire import (
    AnswersIn,
    ChallengeIn,
    ChannelIn,
    CodeAccepted,
    CodeIn,
    CodeSent,
    CryptogramOut,
    Empty,
    FlowId,
    PukOut,
    PukRotatedIn,
    ResultIn,
    UnlockIn,
    UnlockOut,
)
from service.api.admission import admitted, answer_checks_open
from service.api.deps import Answer, IdempotentDep, ServiceDep
from service.api.errors import documented
from service.domain import errors as e
from service.domain import piv_unblock, unlocks
from service.metrics import counted

router = APIRouter(prefix="/v1/unlocks", tags=["unlock"])

UNLOCK = (e.UnknownUnlock, e.StepOutOfOrder, e.UnlockLapsed)
CODE = (e.CodeLapsed, e.CodeVoided, e.CodeRejected, e.ChannelRefused)


@router.post(
    "",
    status_code=201,
    response_model=UnlockOut,
    # code_sent_to only when the code was mailed at once.
    response_model_exclude_none=True,
    responses=documented(
        e.CardNotProven, e.HolderNotRegistered, e.HolderLocked, e.HolderPaused, e.MailNotSent
    ),
)
def start_unlock(body: UnlockIn, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(
        body, lambda: counted(unlocks.start(service, once.kiosk, body), "unlock", "started")
    )


@router.post(
    "/{unlock_id}/answers",
    response_model=CodeSent,
    response_model_exclude_none=True,
    responses=documented(
        *UNLOCK,
        e.AnswersMalformed,
        e.AnswersRejected,
        e.HolderLocked,
        e.HolderPaused,
        e.MailNotSent,
        e.ServiceBusy,
    ),
    # Before the token is looked up: a refusal under overload costs no thread, no store.
    dependencies=[Depends(answer_checks_open)],
)
async def unlock_answers(
    request: Request, unlock_id: FlowId, body: AnswersIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return await admitted(
        request,
        service,
        lambda: once.run(
            body, lambda: unlocks.answer(service, once.kiosk, unlock_id, body.answers)
        ),
    )


@router.post(
    "/{unlock_id}/channel",
    response_model=CodeSent,
    response_model_exclude_none=True,
    responses=documented(*UNLOCK, e.ChannelRefused, e.MailNotSent, e.HolderPaused),
)
def unlock_channel(
    unlock_id: FlowId, body: ChannelIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body, lambda: unlocks.choose_channel(service, once.kiosk, unlock_id, body.channel)
    )


@router.post(
    "/{unlock_id}/code",
    response_model=CodeAccepted,
    responses=documented(*UNLOCK, *CODE, e.HolderPaused),
)
def unlock_code(
    unlock_id: FlowId, body: CodeIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body,
        lambda: unlocks.enter_code(service, once.kiosk, unlock_id, body.code, body.text_code),
    )


@router.post(
    "/{unlock_id}/cryptogram",
    response_model=CryptogramOut,
    responses=documented(*UNLOCK, e.CryptogramLimitReached),
)
def unlock_cryptogram(
    unlock_id: FlowId, body: ChallengeIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body,
        lambda: unlocks.cryptogram(service, once.kiosk, unlock_id, body.challenge),
        replay=lambda: unlocks.replay_cryptogram(service, once.kiosk, unlock_id, body.challenge),
    )


@router.post(
    "/{unlock_id}/puk",
    response_model=PukOut,
    responses=documented(*UNLOCK, e.CryptogramLimitReached),
)
def unlock_puk(unlock_id: FlowId, service: ServiceDep, once: IdempotentDep) -> Answer:
    # The PUKs are never kept for a replay: a repeat is another release, counted.
    release = lambda: piv_unblock.release_puk(service, once.kiosk, unlock_id)  # noqa: E731
    return once.run(None, release, replay=release)


@router.post("/{unlock_id}/puk-rotated", response_model=Empty, responses=documented(*UNLOCK))
def unlock_puk_rotated(
    unlock_id: FlowId, body: PukRotatedIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body, lambda: piv_unblock.puk_rotated(service, once.kiosk, unlock_id, body.rotation)
    )


@router.post(
    "/{unlock_id}/resend",
    response_model=CodeSent,
    response_model_exclude_none=True,
    responses=documented(*UNLOCK, e.CodeVoided, e.ResendLimited, e.MailNotSent, e.HolderPaused),
)
def unlock_resend(unlock_id: FlowId, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(None, lambda: unlocks.resend(service, once.kiosk, unlock_id))


@router.post(
    "/{unlock_id}/result",
    response_model=Empty,
    responses=documented(*UNLOCK, e.MailNotSent),
)
def unlock_result(
    unlock_id: FlowId, body: ResultIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body,
        lambda: counted(
            unlocks.report_result(service, once.kiosk, unlock_id, body.outcome, body.status_word),
            "unlock",
            "completed",
            when=body.outcome == "unlocked",
        ),
    )
