"""POST /v1/nonces: a single-use nonce for a card to MAC."""

from __future__ import annotations

from fastapi import APIRouter

from contract.wire import NonceOut
from service.api.deps import Answer, IdempotentDep, ServiceDep
from service.api.errors import documented
from service.domain.nonces import new_nonce

router = APIRouter(prefix="/v1", tags=["service"])


@router.post("/nonces", status_code=201, response_model=NonceOut, responses=documented())
def nonces(service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(None, lambda: new_nonce(service, once.kiosk))
