"""The deployment's unlock policy as the service says it (`GET /v1/policy`).

The screens that speak of unlocking before any card is read (the waiting screen,
help) say what this deployment's unlock takes: whether a holder must register
first, and whether codes come by email, by email or text, or both. Kept in the
local store like the RA team's contacts (`kiosk.service_facts`); a kiosk that has
never reached its service says what the default policy (`questions`) takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from contract.wire import PolicyOut
from kiosk import service_facts
from kiosk.service_client import ServiceClient
from kiosk.store import LocalStore

CACHE_KEY = "policy"


def cached(store: LocalStore) -> PolicyOut | None:
    """The policy last sent, or None (never sent, or unreadable)."""
    return service_facts.cached(store, CACHE_KEY, PolicyOut)


async def refresh(
    client: ServiceClient, store: LocalStore, clock: Callable[[], dt.datetime]
) -> PolicyOut | None:
    """Ask the service and keep its answer; None when it cannot be asked now."""
    return await service_facts.refresh(client.policy, store, CACHE_KEY, clock)
