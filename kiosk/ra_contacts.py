"""The RA team's contacts a kiosk shows: the service's (`GET /v1/ra-contacts`).

The service's settings are the one place a deployment sets them, so the screens say
what every mail says. The kiosk keeps the last ones it was sent in its local store,
so an outage, or a restart during one, still shows them; a kiosk that has never
reached its service shows the neutral "your local RA team".
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable

from pydantic import ValidationError

from contract.contacts import RaContacts
from kiosk.service_client import ServiceClient, ServiceError
from kiosk.store import LocalStore

log = logging.getLogger(__name__)

CACHE_KEY = "ra_contacts"

REFRESH_SECONDS = 600.0
"""How often a running kiosk asks again (a change reaches every kiosk within this)."""


def cached(store: LocalStore) -> RaContacts:
    """The contacts last sent, or the neutral default (none kept, or unreadable)."""
    try:
        entry = store.cache.get(CACHE_KEY)
    except sqlite3.Error:
        return RaContacts()
    if entry is None:
        return RaContacts()
    try:
        return RaContacts.model_validate(entry.value)
    except ValidationError:
        return RaContacts()


async def refresh(
    client: ServiceClient, store: LocalStore, clock: Callable[[], dt.datetime]
) -> RaContacts | None:
    """Ask the service and keep its answer; None when it cannot be asked now."""
    try:
        contacts = await client.ra_contacts()
    except ServiceError as exc:
        log.info("RA contacts not refreshed: %s", type(exc).__name__)
        return None
    try:
        store.cache.put(CACHE_KEY, contacts.model_dump(), fetched_at=clock())
    except sqlite3.Error as exc:
        log.warning("RA contacts not kept (local store: %s)", exc)
    return contacts
