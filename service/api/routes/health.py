"""GET /v1/health: whether the service answers, and its version (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from contract.wire import Health
from service import __version__

router = APIRouter(prefix="/v1", tags=["service"])


@router.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok", version=__version__)
