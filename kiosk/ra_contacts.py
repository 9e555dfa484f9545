"""The RA team's contacts a kiosk shows: the service's (`GET /v1/ra-contacts`).

The service's settings are the one place a deployment sets them, so the screens say
what every mail says. The kiosk keeps the last ones it was sent in its local store
(`kiosk.service_facts`), so an outage, or a restart during one, still shows them; a
kiosk that has never reached its service shows the neutral "your local RA team".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from contract.contacts import RaContacts
from kiosk import service_facts
from kiosk.service_client import ServiceClient
from kiosk.store import LocalStore

CACHE_KEY = "ra_contacts"


def cached(store: LocalStore) -> RaContacts:
    """The contacts last sent, or the neutral default (none kept, or unreadable)."""
    return service_facts.cached(store, CACHE_KEY, RaContacts) or RaContacts()


async def refresh(
    client: ServiceClient, store: LocalStore, clock: Callable[[], dt.datetime]
) -> RaContacts | None:
    """Ask the service and keep its answer; None when it cannot be asked now."""
    return await service_facts.refresh(client.ra_contacts, store, CACHE_KEY, clock)
