"""Refusals as RFC 9457 problem details with the `code` clients branch on (docs/api.md).

A `Problem` is made only at the HTTP edge (service/api/errors.py), from the
error the rules raised; the rules never build one.
"""

from __future__ import annotations

from typing import Any

from contract.problems import PROBLEM_MEDIA_TYPE

__all__ = ["PROBLEM_MEDIA_TYPE", "Problem"]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    422: "Unprocessable content",
    423: "Locked",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem:
    """One application/problem+json answer."""

    def __init__(self, status: int, code: str, detail: str, **extras: Any) -> None:
        self.status = status
        self.code = code
        """A `contract.problems.ProblemCode`, or the framework's own (not_found ...)."""
        self.detail = detail
        self.extras = extras

    def body(self) -> dict[str, Any]:
        """The JSON body, extension members included."""
        return {
            "type": f"https://ssu.invalid/problems/{self.code}",
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "code": str(self.code),
            **self.extras,
        }
