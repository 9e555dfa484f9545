"""Keep secrets and internals out of the logs (issue 13 item 12).

Two leaks closed here. Starlette answers an unexpected fault with the app's 500
handler and then raises it again, so the server logs the whole traceback, which
for a store fault holds the SQL and its parameters (a nonce, a holder UUID, a
code's hash). And uvicorn's access log writes each request's query string, where
a careless client may put its token.
"""

from __future__ import annotations

import logging

from starlette.types import Receive, Scope, Send

from service.api.errors import INTERNAL_ERROR, problem_response
from service.api.middleware import AnswerWatch, HttpMiddleware
from service.problems import Problem

log = logging.getLogger(__name__)

ACCESS_LOGGER = "uvicorn.access"


class FaultContainment(HttpMiddleware):
    """Answer an unexpected fault 500 `internal_error` and log only its type.

    The fault goes no further, so neither Starlette nor the server logs its
    traceback, message or chained causes.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = AnswerWatch(send)
        try:
            await self.app(scope, receive, answer)
        except Exception as exc:  # noqa: BLE001 - every fault is answered the same
            # The type only: a message may quote the SQL and its parameters.
            log.error("unhandled %s on %s %s", type(exc).__name__, scope["method"], scope["path"])
            if answer.status is not None:
                return  # the answer is under way; the server closes the connection
            status, code = INTERNAL_ERROR
            response = problem_response(Problem(status, code, "Something went wrong."))
            await response(scope, receive, send)


class NoQueryStrings(logging.Filter):
    """Drop the query string from the request path in access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def _without_query(arg: object) -> object:
    if isinstance(arg, str) and arg.startswith("/") and "?" in arg:
        return arg.partition("?")[0]
    return arg


def filter_access_log() -> None:
    """Put the query-string filter on the server's access logger (once)."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, NoQueryStrings) for f in access.filters):
        access.addFilter(NoQueryStrings())
