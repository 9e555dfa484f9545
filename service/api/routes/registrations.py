"""The registration journey: /v1/registrations and its steps (docs/api.md "Registration")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from contract.wire import (
    AnswersIn,
    CodeIn,
    CodeSent,
    FlowId,
    Registered,
    RegistrationIn,
    RegistrationOut,
)
from service.api.admission import admitted, answer_checks_open
from service.api.deps import Answer, IdempotentDep, ServiceDep
from service.api.errors import documented
from service.domain import errors as e
from service.domain import registrations
from service.metrics import counted

router = APIRouter(prefix="/v1/registrations", tags=["registration"])

REGISTRATION = (e.UnknownRegistration, e.StepOutOfOrder, e.RegistrationLapsed)


@router.post(
    "",
    status_code=201,
    response_model=RegistrationOut,
    responses=documented(
        e.HolderNotProven, e.EmailDomainRefused, e.MobileMalformed, e.TermsChanged, e.HolderPaused
    ),
)
def start_registration(body: RegistrationIn, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(
        body,
        lambda: counted(registrations.start(service, once.kiosk, body), "registration", "started"),
    )


@router.put(
    "/{registration_id}/answers",
    response_model=CodeSent,
    response_model_exclude_none=True,
    responses=documented(*REGISTRATION, e.AnswersMalformed, e.MailNotSent, e.ServiceBusy),
    # Before the token is looked up: a refusal under overload costs no thread, no store.
    dependencies=[Depends(answer_checks_open)],
)
async def registration_answers(
    request: Request,
    registration_id: FlowId,
    body: AnswersIn,
    service: ServiceDep,
    once: IdempotentDep,
) -> Answer:
    return await admitted(
        request,
        service,
        lambda: once.run(
            body,
            lambda: registrations.set_answers(service, once.kiosk, registration_id, body.answers),
        ),
    )


@router.post(
    "/{registration_id}/confirm",
    response_model=Registered,
    responses=documented(*REGISTRATION, e.CodeLapsed, e.CodeVoided, e.CodeRejected, e.HolderPaused),
)
def registration_confirm(
    registration_id: FlowId, body: CodeIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body,
        lambda: counted(
            registrations.confirm(service, once.kiosk, registration_id, body.code),
            "registration",
            "completed",
        ),
    )


@router.post(
    "/{registration_id}/resend",
    response_model=CodeSent,
    response_model_exclude_none=True,
    responses=documented(
        *REGISTRATION, e.CodeVoided, e.ResendLimited, e.MailNotSent, e.HolderPaused
    ),
)
def registration_resend(
    registration_id: FlowId, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(None, lambda: registrations.resend(service, once.kiosk, registration_id))
