"""One APIRouter per resource; `ROUTERS` in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.routes import (
    audit,
    health,
    nonces,
    policy,
    questions,
    ra,
    ra_contacts,
    registrations,
    unlocks,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    questions.router,
    ra_contacts.router,
    policy.router,
    nonces.router,
    unlocks.router,
    registrations.router,
    audit.router,
    ra.router,
)
