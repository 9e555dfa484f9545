"""What routes declare they need: the service, the calling kiosk, idempotency."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from contract.problems import PROBLEM_MEDIA_TYPE
from service.api.errors import problem_for
from service.api.request_log import KIOSK_ID
from service.domain import idempotency
from service.domain.audit import record_mail_not_sent
from service.domain.errors import MailNotSent, Refusal
from service.domain.kept_answers import Keeping, keeping
from service.domain.parts import Kiosk
from service.selfservice import SelfService

log = logging.getLogger(__name__)

Answer = BaseModel | dict[str, Any] | Response
"""What a route returns: its response model, a replayed one's JSON, or a replayed refusal."""


# Dependencies that do not block are coroutines: a plain def would take a worker
# thread each, and under load every thread is waiting on the store.


async def get_service(request: Request) -> SelfService:
    """The service the app was built with."""
    service: SelfService = request.app.state.service
    return service


ServiceDep = Annotated[SelfService, Depends(get_service)]

_bearer = HTTPBearer(auto_error=False, description="Kiosk token")


async def get_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The bearer token the request came with, unchecked (None: none)."""
    return credentials.credentials if credentials else None


TokenDep = Annotated[str | None, Depends(get_token)]


def seen_kiosk(request: Request, kiosk: Kiosk) -> Kiosk:
    """Note the calling kiosk for the access log line (its id, never its token)."""
    setattr(request.state, KIOSK_ID, kiosk.id)
    return kiosk


async def get_kiosk(request: Request, service: ServiceDep, token: TokenDep) -> Kiosk:
    """The calling kiosk, from its bearer token (counted against its throttle).

    Looked up and counted in the store with the other requests waiting at that
    moment, in one transaction (service/group_commit.py): no worker thread each.
    """
    return seen_kiosk(request, await service.group_commit.authenticate(token))


KioskDep = Annotated[Kiosk, Depends(get_kiosk)]


class Idempotent:
    """Runs a request's action once per (kiosk, Idempotency-Key), replaying the first answer."""

    def __init__(
        self, request: Request, service: SelfService, kiosk: Kiosk, key: str | None
    ) -> None:
        self.request = request
        self.service = service
        self.kiosk = kiosk
        self.key = key

    def run(
        self,
        body: BaseModel | None,
        action: Callable[[], BaseModel],
        replay: Callable[[], BaseModel] | None = None,
    ) -> Answer:
        """The action's answer, or the first answer to this key.

        Args:
            body: the request body (part of what the key must come with again).
            action: the rule to run.
            replay: recomputes an answer that is not stored (a cryptogram).

        Returns:
            What the route answers with its status code.

        Raises:
            Refusal: the action's refusal (kept for a repeat); IdempotencyKeyMismatch,
                RequestStillRunning.
        """
        try:
            return self._run(body, action, replay)
        except MailNotSent as failure:
            try:
                record_mail_not_sent(
                    self.service, self.kiosk, failure.template, self.request.url.path
                )
            except SQLAlchemyError:
                # The refusal still answers; the report then misses this one failure.
                log.warning("mail_not_sent not recorded: the store failed")
            raise

    def _run(
        self,
        body: BaseModel | None,
        action: Callable[[], BaseModel],
        replay: Callable[[], BaseModel] | None,
    ) -> Answer:
        if self.key is None:
            return action()
        # The status this route answers with (201 where it creates), kept with the answer.
        route = self.request.scope.get("route")
        status: int = getattr(route, "status_code", None) or 200
        canonical = body.model_dump_json() if body is not None else ""
        stored = idempotency.begin(
            self.service,
            self.kiosk,
            self.key,
            self.request.method,
            self.request.url.path,
            canonical,
        )
        if stored is not None:
            if stored.body is None and replay is not None:
                return replay()
            content = json.loads(stored.body or "{}")
            if stored.status >= 400:
                return JSONResponse(content, stored.status, media_type=PROBLEM_MEDIA_TYPE)
            return dict(content)
        request = Keeping(
            self.kiosk.id,
            idempotency.hash_of(self.service, self.key),
            status,
            recomputed=replay is not None,
            problem=_problem_json,
        )
        with keeping(request):
            try:
                result = action()
            except Refusal as refusal:
                if not request.kept:
                    self._finish(*_problem_json(refusal))
                raise
            except BaseException:
                # A step whose answer is kept happened: a fault after it changes nothing.
                if not request.kept:
                    self._finish(500, None)
                raise
        if not request.kept:
            kept = (
                None
                if replay is not None
                else json.dumps(result.model_dump(mode="json", exclude_none=True))
            )
            self._finish(status, kept)
        return result

    def _finish(self, status: int, body: str | None) -> None:
        assert self.key is not None
        idempotency.finish(self.service, self.kiosk, self.key, status, body)


def _problem_json(refusal: Refusal) -> tuple[int, str]:
    problem = problem_for(refusal)
    return problem.status, json.dumps(problem.body())


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=64, description="Repeat-safe request key"),
]


async def get_idempotent(
    request: Request, service: ServiceDep, kiosk: KioskDep, key: IdempotencyKey = None
) -> Idempotent:
    """The calling kiosk's idempotency for this request."""
    return Idempotent(request, service, kiosk, key)


IdempotentDep = Annotated[Idempotent, Depends(get_idempotent)]
