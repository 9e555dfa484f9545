"""Errors as RFC 9457 problem details with the `code` clients branch on (docs/api.md)."""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable content",
    423: "Locked",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """A refusal the API answers with application/problem+json."""

    def __init__(self, status: int, code: str, detail: str, **extras: Any) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail
        self.extras = extras

    def body(self) -> dict[str, Any]:
        """The JSON body, extension members included."""
        return {
            "type": f"https://ssu.invalid/problems/{self.code}",
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extras,
        }


class MailUnavailable(Exception):
    """The mail could not be handed to the SMTP relay."""
