"""What the effects act on: the card thread, the service client, the local store.

Every effect is `async (parts, command) -> None` and reports what happened as flow
events through `parts.emit`; `kiosk.effects.table` says which effect carries out
which command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.card_access import CardThread
from kiosk.flow import events as e
from kiosk.service_client import ServiceClient
from kiosk.store import LocalStore, OutboxItem

Emit = Callable[[e.Event], None]
Clock = Callable[[], dt.datetime]


@dataclass(kw_only=True, eq=False)
class EffectParts:
    """The kiosk's doors to the world, as every effect sees them."""

    card: CardThread
    client: ServiceClient
    ra_card: CardThread | None = None
    """At a two-reader RA desk, the RA's own reader (None: one reader)."""
    store: LocalStore
    emit: Emit
    """Posts a flow event back into the app (thread-safe)."""
    clock: Clock
    unsaved: list[OutboxItem] = field(default_factory=list)
    """Outbox items the local store could not take (disk full or read-only)."""


Effect = Callable[[EffectParts, Any], Awaitable[None]]
"""Carries out one command type (the command's own type as the second argument)."""
