"""GET /v1/health and GET /v1/ready: liveness and readiness (no token needed).

Both are coroutines that read nothing but memory: they need no worker thread and
no store, so they answer at once however busy the answer checks and the store are.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from contract.wire import Health, Readiness
from service import __version__
from service.api.errors import documented
from service.domain import errors as e
from service.selfservice import SelfService

router = APIRouter(prefix="/v1", tags=["service"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get(
    "/ready",
    response_model=Readiness,
    responses=documented(e.ServiceBusy, authenticated=False, write=False),
)
async def ready(request: Request) -> Readiness:
    service: SelfService = request.app.state.service
    retry_after = service.answer_checks.busy()
    if retry_after is not None:
        raise e.ServiceBusy(retry_after=retry_after)
    return Readiness(status="ready", version=__version__)
