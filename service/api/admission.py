"""The answer steps at the edge: admitted before any transaction, then run off the event loop.

A route that checks answers is a coroutine, so neither waiting for admission nor
being refused takes a worker thread. `answer_checks_open` refuses at once, before
the kiosk's token is even looked up, when a request arriving now would be refused;
`admitted` makes the authoritative decision, then runs the rule in a thread of its
own limiter (sized to what can be admitted, so it never queues there), away from
the default thread pool the cheap routes use. The rule takes its turn for the
argon2 work itself in `AnswerChecks.run`. `journey_door` admits new journeys at
their nonce, at the rate answer steps finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import Request

from service.selfservice import SelfService

T = TypeVar("T")


async def answer_checks_open(request: Request) -> None:
    """Refuse at once (503 service_busy) when answer checking is full.

    Raises:
        ServiceBusy: a request arriving now would wait longer than it usefully can.
    """
    service: SelfService = request.app.state.service
    service.answer_checks.refuse_if_busy()


async def journey_door(request: Request) -> None:
    """Admit a new journey (its nonce), or refuse it at once (503 service_busy).

    New journeys pass at the rate answer steps finish, so the journeys already under
    way get their answers checked (`AnswerChecks.open_journey`); refused before the
    kiosk's token is looked up, so a refusal costs no thread and no store.

    Raises:
        ServiceBusy: come back after the Retry-After it books.
    """
    service: SelfService = request.app.state.service
    service.answer_checks.open_journey()


def _threads(request: Request, service: SelfService) -> CapacityLimiter:
    limiter: CapacityLimiter | None = getattr(request.app.state, "answer_threads", None)
    if limiter is None:
        # Made on the event loop (the first answer step), held for the app's life.
        limiter = CapacityLimiter(service.answer_checks.capacity)
        request.app.state.answer_threads = limiter
    return limiter


async def admitted(request: Request, service: SelfService, step: Callable[[], T]) -> T:
    """Run an answer step if admitted, in a thread that is not the cheap routes'.

    Raises:
        ServiceBusy: refused; nothing was read, counted or written.
    """
    with service.answer_checks.admit():
        return await to_thread.run_sync(step, limiter=_threads(request, service))
