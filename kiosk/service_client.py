"""The kiosk's client for the unlock service (docs/api.md), on httpx: one method per endpoint.

The plumbing (idempotency keys, retries with backoff, refusals as exceptions
carrying a `contract.problems.ProblemCode`) is `kiosk.service_http`; its error
classes are named here again, so callers import everything from this module.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, ParamSpec, TypeVar

import httpx

from kiosk.flow.facts import Question
from kiosk.service_http import (
    CardProofInvalid,
    Expired,
    KioskUnauthorized,
    MailUnavailable,
    NotRegisteredError,
    SelfServiceLockedError,
    ServiceBusy,
    ServiceError,
    ServiceHttp,
    ServiceRejected,
    ServiceUnreachableError,
    TooManyRequests,
    WrongAnswers,
    WrongCode,
    WrongStep,
    rejection,
    telling_busy,
)

__all__ = [
    "AuditEvent",
    "AuditReceipt",
    "CardProofInvalid",
    "CodeAccepted",
    "CodeSent",
    "Expired",
    "Health",
    "KioskUnauthorized",
    "MailUnavailable",
    "Nonce",
    "NotRegisteredError",
    "Question",
    "QuestionCatalogue",
    "RegistrationStarted",
    "SelfServiceLockedError",
    "ServiceBusy",
    "ServiceClient",
    "ServiceError",
    "ServiceRejected",
    "ServiceUnreachableError",
    "TooManyRequests",
    "UnlockStarted",
    "WrongAnswers",
    "WrongCode",
    "WrongStep",
    "rejection",
    "telling_busy",
]


# -- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """GET /v1/health."""

    status: str
    version: str


@dataclass(frozen=True)
class QuestionCatalogue:
    """GET /v1/questions, with the ETag to send next time."""

    version: str
    questions: tuple[Question, ...]
    etag: str | None = None


@dataclass(frozen=True)
class Nonce:
    """POST /v1/nonces: 16 bytes for the card to MAC, single use, bound to this kiosk."""

    nonce: bytes
    expires_at: datetime


@dataclass(frozen=True)
class UnlockStarted:
    """POST /v1/unlocks."""

    unlock_id: str
    next: Literal["answers", "code"]
    questions: tuple[Question, ...]
    attempts_left: int
    expires_at: datetime
    code_sent_to: str | None = None


@dataclass(frozen=True)
class CodeSent:
    """A code was emailed (answers accepted, or a resend)."""

    code_sent_to: str
    code_expires_at: datetime


@dataclass(frozen=True)
class CodeAccepted:
    """POST /v1/unlocks/{id}/code: the window for the cryptogram and the result."""

    expires_at: datetime


@dataclass(frozen=True)
class RegistrationStarted:
    """POST /v1/registrations."""

    registration_id: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One kiosk audit event; `id` is stable so redelivery is harmless."""

    id: str
    at: str
    type: str
    outcome: str
    serial: str | None = None
    uuid: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The wire form."""
        return {
            "id": self.id,
            "at": self.at,
            "type": self.type,
            "serial": self.serial,
            "uuid": self.uuid,
            "outcome": self.outcome,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class AuditReceipt:
    """POST /v1/audit."""

    accepted: int
    duplicates: int


def _hex(value: bytes | str) -> str:
    return value.hex() if isinstance(value, bytes) else value.lower()


def _time(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def _questions(items: object) -> tuple[Question, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(Question(id=str(q["id"]), text=str(q["text"])) for q in items)


def _code_sent(body: Mapping[str, Any]) -> CodeSent:
    return CodeSent(
        code_sent_to=str(body["code_sent_to"]), code_expires_at=_time(body["code_expires_at"])
    )


# -- the client -----------------------------------------------------------------------

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _answers_checked(
    method: Callable[_P, Awaitable[_T]],
) -> Callable[_P, Awaitable[_T]]:
    """An answer of the wrong shape is a ServiceError too, never a crash in the kiosk."""

    @functools.wraps(method)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await method(*args, **kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise ServiceError(f"unexpected answer from the service: {type(exc).__name__}") from exc

    return wrapper


class ServiceClient:
    """Async client for the unlock service.

    The arguments are `kiosk.service_http.ServiceHttp`'s (base URL, kiosk token,
    timeout, retries, transport, backoff, TLS trust and how long to wait while it is
    busy), with the kiosk's defaults.
    """

    def __init__(
        self,
        base_url: str,
        kiosk_token: str,
        *,
        timeout: float = 5.0,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 2.0,
        verify: ssl.SSLContext | bool = True,
        busy_wait_max: float = 60.0,
        busy_jitter: float = 1.0,
    ) -> None:
        self._service = ServiceHttp(
            base_url,
            kiosk_token,
            timeout=timeout,
            retries=retries,
            transport=transport,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            verify=verify,
            busy_wait_max=busy_wait_max,
            busy_jitter=busy_jitter,
        )
        self._call = self._service.call
        self._json = self._service.json

    async def aclose(self) -> None:
        """Close the connection pool (if a call ever opened it)."""
        await self._service.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- endpoints ------------------------------------------------------------------

    @_answers_checked
    async def health(self) -> Health:
        """GET /v1/health."""
        body = await self._json("GET", "/v1/health")
        return Health(status=str(body["status"]), version=str(body["version"]))

    @_answers_checked
    async def questions(self, etag: str | None = None) -> QuestionCatalogue | None:
        """GET /v1/questions; None when etag still matches (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = await self._call("GET", "/v1/questions", headers=headers, expect=(200, 304))
        if response.status_code == 304:
            return None
        body = response.json()
        return QuestionCatalogue(
            version=str(body["version"]),
            questions=_questions(body["questions"]),
            etag=response.headers.get("ETag"),
        )

    @_answers_checked
    async def new_nonce(self) -> Nonce:
        """POST /v1/nonces."""
        body = await self._json("POST", "/v1/nonces")
        return Nonce(nonce=bytes.fromhex(body["nonce"]), expires_at=_time(body["expires_at"]))

    @_answers_checked
    async def start_unlock(
        self,
        serial: bytes | str,
        uuid: str,
        nonce: bytes | str,
        mac: bytes | str,
        *,
        idempotency_key: str | None = None,
    ) -> UnlockStarted:
        """POST /v1/unlocks, with the card-key MAC over the nonce."""
        body = await self._json(
            "POST",
            "/v1/unlocks",
            json={"serial": _hex(serial), "uuid": uuid, "nonce": _hex(nonce), "mac": _hex(mac)},
            idempotency_key=idempotency_key,
        )
        sent_to = body.get("code_sent_to")
        return UnlockStarted(
            unlock_id=str(body["unlock_id"]),
            next="code" if body["next"] == "code" else "answers",
            questions=_questions(body.get("questions")),
            attempts_left=int(body["attempts_left"]),
            expires_at=_time(body["expires_at"]),
            code_sent_to=str(sent_to) if sent_to is not None else None,
        )

    @_answers_checked
    async def send_unlock_answers(
        self, unlock_id: str, answers: Mapping[str, str], *, idempotency_key: str | None = None
    ) -> CodeSent:
        """POST /v1/unlocks/{id}/answers; the code is emailed when they are right."""
        body = await self._json(
            "POST",
            f"/v1/unlocks/{unlock_id}/answers",
            json={"answers": dict(answers)},
            idempotency_key=idempotency_key,
        )
        return _code_sent(body)

    @_answers_checked
    async def send_unlock_code(
        self, unlock_id: str, code: str, *, idempotency_key: str | None = None
    ) -> CodeAccepted:
        """POST /v1/unlocks/{id}/code."""
        body = await self._json(
            "POST",
            f"/v1/unlocks/{unlock_id}/code",
            json={"code": code},
            idempotency_key=idempotency_key,
        )
        return CodeAccepted(expires_at=_time(body["expires_at"]))

    @_answers_checked
    async def get_cryptogram(
        self, unlock_id: str, challenge: bytes | str, *, idempotency_key: str | None = None
    ) -> bytes:
        """POST /v1/unlocks/{id}/cryptogram: the 16 bytes for RESET RETRY COUNTER."""
        body = await self._json(
            "POST",
            f"/v1/unlocks/{unlock_id}/cryptogram",
            json={"challenge": _hex(challenge)},
            idempotency_key=idempotency_key,
        )
        return bytes.fromhex(str(body["cryptogram"]))

    @_answers_checked
    async def resend_unlock_code(
        self, unlock_id: str, *, idempotency_key: str | None = None
    ) -> CodeSent:
        """POST /v1/unlocks/{id}/resend."""
        body = await self._json(
            "POST", f"/v1/unlocks/{unlock_id}/resend", idempotency_key=idempotency_key
        )
        return _code_sent(body)

    @_answers_checked
    async def report_unlock_result(
        self,
        unlock_id: str,
        outcome: Literal["unlocked", "card_error"],
        status_word: int | str,
        *,
        idempotency_key: str | None = None,
    ) -> None:
        """POST /v1/unlocks/{id}/result with what the card answered."""
        word = f"{status_word:04X}" if isinstance(status_word, int) else status_word.upper()
        await self._call(
            "POST",
            f"/v1/unlocks/{unlock_id}/result",
            json={"outcome": outcome, "status_word": word},
            idempotency_key=idempotency_key,
        )

    @_answers_checked
    async def start_registration(
        self,
        serial: bytes | str,
        uuid: str,
        nonce: bytes | str,
        mac: bytes | str,
        email: str,
        mobile: str,
        terms_version: str,
        *,
        idempotency_key: str | None = None,
    ) -> RegistrationStarted:
        """POST /v1/registrations, with the holder-key MAC over the nonce."""
        body = await self._json(
            "POST",
            "/v1/registrations",
            json={
                "serial": _hex(serial),
                "uuid": uuid,
                "nonce": _hex(nonce),
                "mac": _hex(mac),
                "email": email,
                "mobile": mobile,
                "terms_version": terms_version,
            },
            idempotency_key=idempotency_key,
        )
        return RegistrationStarted(
            registration_id=str(body["registration_id"]), expires_at=_time(body["expires_at"])
        )

    @_answers_checked
    async def send_registration_answers(
        self,
        registration_id: str,
        answers: Mapping[str, str],
        *,
        idempotency_key: str | None = None,
    ) -> CodeSent:
        """PUT /v1/registrations/{id}/answers; the registration code is emailed."""
        body = await self._json(
            "PUT",
            f"/v1/registrations/{registration_id}/answers",
            json={"answers": dict(answers)},
            idempotency_key=idempotency_key,
        )
        return _code_sent(body)

    @_answers_checked
    async def confirm_registration(
        self, registration_id: str, code: str, *, idempotency_key: str | None = None
    ) -> None:
        """POST /v1/registrations/{id}/confirm: registered when this returns."""
        await self._call(
            "POST",
            f"/v1/registrations/{registration_id}/confirm",
            json={"code": code},
            idempotency_key=idempotency_key,
        )

    @_answers_checked
    async def resend_registration_code(
        self, registration_id: str, *, idempotency_key: str | None = None
    ) -> CodeSent:
        """POST /v1/registrations/{id}/resend."""
        body = await self._json(
            "POST",
            f"/v1/registrations/{registration_id}/resend",
            idempotency_key=idempotency_key,
        )
        return _code_sent(body)

    @_answers_checked
    async def send_audit(
        self, events: Sequence[AuditEvent], *, idempotency_key: str | None = None
    ) -> AuditReceipt:
        """POST /v1/audit; events seen before count as duplicates, not errors."""
        body = await self._json(
            "POST",
            "/v1/audit",
            json={"events": [e.to_json() for e in events]},
            idempotency_key=idempotency_key,
        )
        return AuditReceipt(accepted=int(body["accepted"]), duplicates=int(body["duplicates"]))
