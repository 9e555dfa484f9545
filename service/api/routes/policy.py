"""GET /v1/policy: what unlocking takes in this deployment, for the kiosk's screens."""

from __future__ import annotations

from fastapi import APIRouter

from contract.wire import PolicyOut
from service.api.deps import KioskDep, ServiceDep
from service.api.errors import documented
from service.domain.policy import asks_questions

router = APIRouter(prefix="/v1", tags=["service"])


@router.get("/policy", response_model=PolicyOut, responses=documented(write=False))
def policy(service: ServiceDep, _kiosk: KioskDep) -> PolicyOut:
    settings = service.settings
    # A holder registers exactly where an unlock asks the registered questions.
    return PolicyOut(
        policy=settings.policy,
        registration_needed=asks_questions(settings),
        texts=settings.texts_possible,
    )
