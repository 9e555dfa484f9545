"""What the service says of its deployment, kept in the local store for outages.

A kiosk asks when it starts and every `REFRESH_SECONDS` (`KioskApp`), keeps the last
answer, and shows what it kept while the service cannot be reached, or after a
restart during an outage. Two facts are asked this way: the RA team's contacts
(`kiosk.ra_contacts`) and the unlock policy (`kiosk.policy`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from kiosk.service_client import ServiceError
from kiosk.store import LocalStore

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

REFRESH_SECONDS = 600.0
"""How often a running kiosk asks again (a change reaches every kiosk within this)."""


def cached(store: LocalStore, key: str, model: type[M]) -> M | None:
    """The answer last kept under `key`, or None (none kept, or unreadable)."""
    try:
        entry = store.cache.get(key)
    except sqlite3.Error:
        return None
    if entry is None:
        return None
    try:
        return model.model_validate(entry.value)
    except ValidationError:
        return None


async def refresh(
    ask: Callable[[], Awaitable[M]], store: LocalStore, key: str, clock: Callable[[], dt.datetime]
) -> M | None:
    """Ask the service and keep its answer under `key`; None when it cannot be asked now."""
    try:
        fresh = await ask()
    except (ServiceError, ValueError) as exc:  # ValueError: pydantic's, a wrong shape
        log.info("%s not refreshed: %s", key, type(exc).__name__)
        return None
    try:
        store.cache.put(key, fresh.model_dump(), fetched_at=clock())
    except sqlite3.Error as exc:
        log.warning("%s not kept (local store: %s)", key, exc)
    return fresh
