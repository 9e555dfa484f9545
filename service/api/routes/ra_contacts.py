"""GET /v1/ra-contacts: how holders reach the RA team, as every mail quotes it."""

from __future__ import annotations

from fastapi import APIRouter

from contract.contacts import RaContacts
from service.api.deps import KioskDep, ServiceDep
from service.api.errors import documented

router = APIRouter(prefix="/v1", tags=["service"])


@router.get("/ra-contacts", response_model=RaContacts, responses=documented(write=False))
def ra_contacts(service: ServiceDep, _kiosk: KioskDep) -> RaContacts:
    return service.settings.ra_contacts
