"""POST /v1/nonces: a single-use nonce for a card to MAC."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from contract.wire import NonceOut
from service.api.admission import journey_door
from service.api.deps import (
    Answer,
    IdempotencyKey,
    Idempotent,
    ServiceDep,
    TokenDep,
    get_kiosk,
    seen_kiosk,
)
from service.api.errors import documented
from service.domain import errors as e
from service.domain.nonces import new_nonce

router = APIRouter(prefix="/v1", tags=["service"])


@router.post(
    "/nonces",
    status_code=201,
    response_model=NonceOut,
    responses=documented(e.ServiceBusy),
    # Every journey begins here: new journeys pass at the rate answer steps finish;
    # past it a journey begun now would only queue at its answers, and its cheap calls
    # would queue the store for the journeys already under way (issue 14). Refused
    # before the token is looked up.
    dependencies=[Depends(journey_door)],
)
async def nonces(
    request: Request, service: ServiceDep, token: TokenDep, key: IdempotencyKey = None
) -> Answer:
    if key is None:
        # The kiosk's own call (it sends no key): the token's check and count and the
        # nonce's row are one write, batched with the other cheap requests' writes in
        # one transaction (service/group_commit.py).
        kiosk, nonce = await service.group_commit.kiosk_and_nonce(token)
        seen_kiosk(request, kiosk)
        return nonce
    kiosk = await get_kiosk(request, service, token)
    once = Idempotent(request, service, kiosk, key)
    return await run_in_threadpool(once.run, None, lambda: new_nonce(service, kiosk))
