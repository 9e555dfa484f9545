"""The edge between the rules and HTTP: one table from each error to its status.

Every error the rules raise names its problem code (`DomainError.code`); this
table gives it the HTTP status it is answered with, and the handlers here turn
it (and the framework's own refusals) into application/problem+json.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract.problems import PROBLEM_MEDIA_TYPE, ProblemCode
from service import metrics
from service.domain import errors as e
from service.domain import ra_errors as ra
from service.problems import Problem

log = logging.getLogger(__name__)

STATUS_OF: dict[type[e.DomainError], int] = {
    e.UnknownKiosk: 401,
    e.Throttled: 429,
    e.CardNotProven: 403,
    e.HolderNotProven: 403,
    e.HolderNotRegistered: 409,
    e.HolderLocked: 423,
    e.HolderPaused: 423,
    e.UnknownUnlock: 404,
    e.UnknownRegistration: 404,
    e.UnlockLapsed: 410,
    e.RegistrationLapsed: 410,
    e.StepOutOfOrder: 409,
    e.AnswersRejected: 422,
    e.AnswersMalformed: 422,
    e.CodeRejected: 422,
    e.ChannelRefused: 422,
    e.CodeLapsed: 410,
    e.CodeVoided: 410,
    e.ResendLimited: 429,
    e.CryptogramLimitReached: 429,
    e.EmailDomainRefused: 422,
    e.MobileMalformed: 422,
    e.TermsChanged: 422,
    e.RequestStillRunning: 409,
    e.IdempotencyKeyMismatch: 422,
    e.IdempotencyKeyEmpty: 422,
    e.MailNotSent: 503,
    e.ServiceBusy: 503,
    ra.NotAnRaDesk: 403,
    ra.NotAnRa: 403,
    ra.NotAnRaManager: 403,
    ra.RaSessionEnded: 410,
    ra.HolderCardMissing: 409,
    ra.OwnCard: 409,
    ra.UnknownAssistedUnlock: 404,
    ra.ReportPeriodInvalid: 422,
}
"""The HTTP status of each error the rules raise; its problem code is the class's `code`."""

# Refusals made here at the edge rather than by a rule.
REQUEST_INVALID = (422, ProblemCode.REQUEST_INVALID)
INTERNAL_ERROR = (500, ProblemCode.INTERNAL_ERROR)
BODY_TOO_LARGE = (413, ProblemCode.BODY_TOO_LARGE)


def problem_for(error: e.DomainError) -> Problem:
    """The problem+json answer to an error the rules raised."""
    return Problem(STATUS_OF[type(error)], error.code, error.detail, **error.extras)


def problem_response(problem: Problem) -> Response:
    """The problem as an HTTP response (with Retry-After when it says when to retry)."""
    metrics.REFUSALS.labels(str(problem.code)).inc()
    retry_after = problem.extras.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(
        problem.body(), status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _answer_too_long(error: Any) -> bool:
    """Whether a validation error is one answer over the body's length limit."""
    loc = tuple(error.get("loc", ()))
    return error.get("type") == "string_too_long" and loc[:2] == ("body", "answers")


async def on_service_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.DomainError)
    return problem_response(problem_for(exc))


async def on_invalid(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Only where and what, never the input: it may be an answer or a code.
    errors = exc.errors()
    if errors and all(_answer_too_long(error) for error in errors):
        # A huge paste into an answer is a bad answer (docs/api.md: answers_invalid,
        # nothing counted), not a malformed request the kiosk cannot explain.
        return problem_response(problem_for(e.AnswersMalformed("An answer is far too long.")))
    where = sorted({".".join(str(p) for p in error.get("loc", ())) for error in errors})
    status, code = REQUEST_INVALID
    return problem_response(Problem(status, code, f"Malformed request: {', '.join(where)}."))


async def on_http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot even decode (bytes that are not
        # UTF-8): to the contract that is a malformed body like any other.
        status, code = REQUEST_INVALID
        return problem_response(Problem(status, code, "Malformed request: body."))
    # Routing's own answers, outside the contract's codes.
    name = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem_response(Problem(exc.status_code, name, str(exc.detail)))


async def on_crash(_request: Request, exc: Exception) -> Response:
    log.error("unhandled %s", type(exc).__name__)
    status, code = INTERNAL_ERROR
    return problem_response(Problem(status, code, "Something went wrong."))


def install_handlers(app: FastAPI) -> None:
    """Answer every error as application/problem+json."""
    app.add_exception_handler(e.DomainError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


def documented(
    *refusals: type[e.DomainError], write: bool = True, authenticated: bool = True
) -> dict[int | str, dict[str, Any]]:
    """A route's documented refusals: each status with the problem codes it can carry.

    Every authenticated call can answer 401 unauthorized, 422 request_invalid and
    429 too_many_requests; every POST/PUT also the Idempotency-Key refusals and
    413 body_too_large.
    """
    codes: dict[int, list[str]] = (
        {
            401: [e.UnknownKiosk.code],
            422: [REQUEST_INVALID[1]],
            429: [e.Throttled.code],
        }
        if authenticated
        else {}
    )
    if write:
        codes[422].append(e.IdempotencyKeyMismatch.code)
        codes[409] = [e.RequestStillRunning.code]
        codes[BODY_TOO_LARGE[0]] = [BODY_TOO_LARGE[1]]
    for refusal in refusals:
        codes.setdefault(STATUS_OF[refusal], []).append(refusal.code)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, names in sorted(codes.items()):
        schema = {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"type": "object", "properties": {"code": {"enum": [str(n) for n in names]}}},
            ]
        }
        responses[status] = {
            "description": "Refused: " + ", ".join(f"`{n}`" for n in names),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
    return responses
