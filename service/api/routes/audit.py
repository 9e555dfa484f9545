"""POST /v1/audit: events a kiosk recorded, stored once each."""

from __future__ import annotations

from fastapi import APIRouter

from contract.wire import AuditIn, AuditOut
from service.api.deps import Answer, IdempotentDep, ServiceDep
from service.api.errors import documented
from service.domain import audit

router = APIRouter(prefix="/v1", tags=["audit"])


@router.post("/audit", response_model=AuditOut, responses=documented())
def post_audit(body: AuditIn, service: ServiceDep, once: IdempotentDep) -> Answer:
    return once.run(body, lambda: audit.record_kiosk_events(service, once.kiosk, body.events))
