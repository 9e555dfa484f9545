"""The RA desk: /v1/ra/sessions and what an RA does in one (docs/api.md "The RA desk")."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from contract.ra_wire import (
    AssistedUnlockIn,
    AssistedUnlockOut,
    ContactsIn,
    HolderStateOut,
    RaSessionOut,
    ReportOut,
    SignOutIn,
)
from contract.wire import CardProofIn, ChallengeIn, CryptogramOut, Empty, FlowId, ResultIn
from service.api.deps import Answer, IdempotentDep, KioskDep, ServiceDep
from service.api.errors import documented
from service.domain import errors as e
from service.domain import ra_actions, ra_report, ra_sessions, ra_unlocks
from service.domain import ra_errors as ra

router = APIRouter(prefix="/v1/ra/sessions", tags=["ra"])

SESSION = (ra.NotAnRaDesk, ra.RaSessionEnded)
HOLDER = (*SESSION, ra.HolderCardMissing)
ASSISTED = (ra.NotAnRaDesk, ra.UnknownAssistedUnlock, e.UnlockLapsed, e.StepOutOfOrder)
Since = Annotated[date, Query(description="First UTC day of the period (YYYY-MM-DD)")]
Until = Annotated[date, Query(description="Last UTC day of the period, included")]


@router.post(
    "",
    status_code=201,
    response_model=RaSessionOut,
    responses=documented(ra.NotAnRaDesk, e.HolderNotProven, ra.NotAnRa),
)
def sign_in(body: CardProofIn, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(body, lambda: ra_sessions.sign_in(service, once.kiosk, body))


@router.post("/{session_id}/end", response_model=Empty, responses=documented(ra.NotAnRaDesk))
def sign_out(
    session_id: FlowId, body: SignOutIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    def end() -> Empty:
        ra_sessions.sign_out(service, once.kiosk, session_id, body.reason)
        return Empty()

    return once.run(body, end)


@router.post(
    "/{session_id}/holder",
    response_model=HolderStateOut,
    responses=documented(*SESSION, ra.OwnCard, e.CardNotProven),
)
def holder_card(
    session_id: FlowId, body: CardProofIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(
        body, lambda: ra_actions.take_holder_card(service, once.kiosk, session_id, body)
    )


@router.get(
    "/{session_id}/holder",
    response_model=HolderStateOut,
    responses=documented(*HOLDER, write=False),
)
def holder_state(session_id: FlowId, service: ServiceDep, kiosk: KioskDep) -> HolderStateOut:
    return ra_actions.holder_state(service, kiosk, session_id)


@router.post(
    "/{session_id}/clear-lock", response_model=HolderStateOut, responses=documented(*HOLDER)
)
def clear_lock(session_id: FlowId, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(None, lambda: ra_actions.clear_lock(service, once.kiosk, session_id))


@router.post(
    "/{session_id}/contacts",
    response_model=HolderStateOut,
    responses=documented(*HOLDER, e.EmailDomainRefused, e.MobileMalformed, e.MailNotSent),
)
def contacts(
    session_id: FlowId, body: ContactsIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(body, lambda: ra_actions.change_contacts(service, once.kiosk, session_id, body))


@router.post(
    "/{session_id}/unlocks",
    status_code=201,
    response_model=AssistedUnlockOut,
    responses=documented(*HOLDER, ra.OwnCard, e.CardNotProven),
)
def assisted_unlock(
    session_id: FlowId, body: AssistedUnlockIn, service: ServiceDep, once: IdempotentDep
) -> Answer:
    return once.run(body, lambda: ra_unlocks.start(service, once.kiosk, session_id, body))


@router.post(
    "/{session_id}/unlocks/{unlock_id}/cryptogram",
    response_model=CryptogramOut,
    responses=documented(*ASSISTED, ra.RaSessionEnded, e.CryptogramLimitReached),
)
def assisted_cryptogram(
    session_id: FlowId,
    unlock_id: FlowId,
    body: ChallengeIn,
    service: ServiceDep,
    once: IdempotentDep,
) -> Answer:
    return once.run(
        body,
        lambda: ra_unlocks.cryptogram(service, once.kiosk, session_id, unlock_id, body.challenge),
        replay=lambda: ra_unlocks.replay_cryptogram(
            service, once.kiosk, session_id, unlock_id, body.challenge
        ),
    )


@router.post(
    "/{session_id}/unlocks/{unlock_id}/result",
    response_model=Empty,
    responses=documented(*ASSISTED, e.MailNotSent),
)
def assisted_result(
    session_id: FlowId,
    unlock_id: FlowId,
    body: ResultIn,
    service: ServiceDep,
    once: IdempotentDep,
) -> Answer:
    return once.run(
        body,
        lambda: ra_unlocks.report_result(
            service, once.kiosk, session_id, unlock_id, body.outcome, body.status_word
        ),
    )


REPORT = (*SESSION, ra.NotAnRaManager, ra.ReportPeriodInvalid)


@router.get(
    "/{session_id}/report", response_model=ReportOut, responses=documented(*REPORT, write=False)
)
def report(
    session_id: FlowId, since: Since, until: Until, service: ServiceDep, kiosk: KioskDep
) -> ReportOut:
    return ra_report.for_manager(service, kiosk, session_id, since, until)


@router.get(
    "/{session_id}/report.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The report as CSV",
        },
        **documented(*REPORT, write=False),
    },
)
def report_csv(
    session_id: FlowId, since: Since, until: Until, service: ServiceDep, kiosk: KioskDep
) -> Response:
    figures = ra_report.for_manager(service, kiosk, session_id, since, until)
    return Response(ra_report.as_csv(figures), media_type="text/csv; charset=utf-8")
