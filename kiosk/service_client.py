"""The kiosk's client for the unlock service (docs/api.md), on httpx.

One method per endpoint. Every POST and PUT carries an Idempotency-Key made once
per logical call and reused on each retry, so a retry after a lost answer never
sends a second email or counts a second failure. Transport failures are retried
with backoff and end as ServiceUnreachable; refusals end as ServiceRejected (or
one of its subclasses) carrying the problem `code` and extension members.
"""

from __future__ import annotations

import functools
import uuid as uuid_module
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, ParamSpec, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
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
    "NotRegistered",
    "Question",
    "QuestionCatalogue",
    "RegistrationStarted",
    "SelfServiceLocked",
    "ServiceClient",
    "ServiceError",
    "ServiceRejected",
    "ServiceUnreachable",
    "TooManyRequests",
    "UnlockStarted",
    "WrongAnswers",
    "WrongCode",
    "WrongStep",
]


# -- errors ---------------------------------------------------------------------------


class ServiceError(Exception):
    """Anything that kept a call to the service from succeeding."""


class ServiceUnreachable(ServiceError):
    """The service could not be reached (or did not answer in time) after retries."""


class ServiceRejected(ServiceError):
    """The service answered with a problem: branch on `code`.

    Attributes:
        status: HTTP status.
        code: the problem's `code` (docs/api.md).
        detail: human-readable explanation (safe to log, never shown as-is to holders).
        extras: the problem's extension members (attempts_left, tries_left, retry_after,
            approved_domains, terms_version ...).
    """

    codes: frozenset[str] = frozenset()

    def __init__(self, status: int, code: str, detail: str, extras: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.extras = dict(extras)

    @property
    def attempts_left(self) -> int | None:
        """Answer attempts left before self-service locks (answers_wrong)."""
        return _int_or_none(self.extras.get("attempts_left"))

    @property
    def tries_left(self) -> int | None:
        """Code tries left before the code is void (code_wrong)."""
        return _int_or_none(self.extras.get("tries_left"))

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again (429s)."""
        return _int_or_none(self.extras.get("retry_after"))


class KioskUnauthorized(ServiceRejected):
    """401: the kiosk token is missing, unknown or not allowed in this mode."""

    codes = frozenset({"unauthorized"})


class CardProofInvalid(ServiceRejected):
    """403: the card (or holder) proof failed; never says whether the holder exists."""

    codes = frozenset({"card_proof_invalid", "holder_proof_invalid"})


class NotRegistered(ServiceRejected):
    """409 not_registered: only the RA team can unlock this card."""

    codes = frozenset({"not_registered"})


class SelfServiceLocked(ServiceRejected):
    """423 self_service_locked: three failed attempts; the RA team must clear it."""

    codes = frozenset({"self_service_locked"})


class Expired(ServiceRejected):
    """410: the unlock, registration or code can no longer be used; start again or resend."""

    codes = frozenset({"unlock_expired", "registration_expired", "code_expired", "code_void"})


class WrongAnswers(ServiceRejected):
    """422 answers_wrong: see attempts_left."""

    codes = frozenset({"answers_wrong"})


class WrongCode(ServiceRejected):
    """422 code_wrong: see tries_left."""

    codes = frozenset({"code_wrong"})


class WrongStep(ServiceRejected):
    """409 wrong_step: the call came out of order."""

    codes = frozenset({"wrong_step"})


class TooManyRequests(ServiceRejected):
    """429 (too_many_requests, too_many_resends, too_many_attempts): see retry_after."""

    codes = frozenset({"too_many_requests", "too_many_resends", "too_many_attempts"})


class MailUnavailable(ServiceRejected):
    """503 mail_unavailable: nothing was sent or counted; try again shortly."""

    codes = frozenset({"mail_unavailable"})


_REJECTIONS: tuple[type[ServiceRejected], ...] = (
    KioskUnauthorized,
    CardProofInvalid,
    NotRegistered,
    SelfServiceLocked,
    Expired,
    WrongAnswers,
    WrongCode,
    WrongStep,
    TooManyRequests,
    MailUnavailable,
)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rejection(status: int, body: Mapping[str, Any]) -> ServiceRejected:
    """The most specific ServiceRejected for a problem body."""
    code = str(body.get("code", f"http_{status}"))
    detail = str(body.get("detail", ""))
    standard = {"type", "title", "status", "detail", "code"}
    extras = {k: v for k, v in body.items() if k not in standard}
    for cls in _REJECTIONS:
        if code in cls.codes:
            return cls(status, code, detail, extras)
    return ServiceRejected(status, code, detail, extras)


class _InProgress(Exception):
    """409 request_in_progress: the first attempt with our key is still running."""


class _Gateway(Exception):
    """502/503/504 that is not the service's own problem: a proxy could not reach it."""


# -- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """GET /v1/health."""

    status: str
    version: str


@dataclass(frozen=True)
class Question:
    """One security question."""

    id: str
    text: str


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

    Args:
        base_url: e.g. "http://127.0.0.1:8750".
        kiosk_token: this kiosk's bearer token.
        timeout: connect and read timeout, seconds.
        retries: extra attempts after a transport failure (with backoff).
        transport: an httpx transport (tests, proxies); the default one otherwise.
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
    ) -> None:
        self._retries = retries
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._options: dict[str, Any] = {
            "base_url": base_url.rstrip("/"),
            "headers": {"Authorization": f"Bearer {kiosk_token}", "Accept": "application/json"},
            "timeout": httpx.Timeout(timeout),
            "transport": transport,
            "follow_redirects": False,
        }
        self._pool: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        # Made at the first call, not at start-up: building the TLS context reads
        # the CA bundle (about 55 ms), which the kiosk's first screen need not wait for.
        if self._pool is None:
            self._pool = httpx.AsyncClient(**self._options)
        return self._pool

    async def aclose(self) -> None:
        """Close the connection pool (if a call ever opened it)."""
        if self._pool is not None:
            await self._pool.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- plumbing -------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> httpx.Response:
        send_headers = dict(headers or {})
        if method in ("POST", "PUT"):
            # One key per logical call: every retry below reuses it.
            send_headers["Idempotency-Key"] = idempotency_key or uuid_module.uuid4().hex

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, httpx.TransportError | _InProgress | _Gateway)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_exponential_jitter(
                multiplier=self._backoff_initial,
                max=self._backoff_max,
                jitter=self._backoff_initial,
            ),
            retry=retry_if_exception(retryable),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._http.request(
                        method, path, json=json, headers=send_headers
                    )
                    if response.status_code == 409 and _problem_code(response) == (
                        "request_in_progress"
                    ):
                        raise _InProgress()
                    if response.status_code in (502, 503, 504) and not _is_problem(response):
                        # The service never saw it, and 5xx answers are never kept under
                        # the key, so the same key may safely go again.
                        raise _Gateway()
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if isinstance(last, _InProgress):
                raise ServiceUnreachable("the service is still working on this request") from None
            if isinstance(last, _Gateway):
                raise ServiceUnreachable("a gateway could not reach the service") from None
            raise ServiceUnreachable(f"service unreachable: {type(last).__name__}") from last
        if response.status_code in expect:
            return response
        raise _rejection_from(response)

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self._call(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceError("the service answered with something that is not JSON") from exc
        if not isinstance(body, dict):
            raise ServiceError("the service answered with unexpected JSON")
        return body

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


def _is_problem(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/problem+json")


def _problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("code")) if isinstance(body, dict) else None


def _rejection_from(response: httpx.Response) -> ServiceRejected:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"code": f"http_{response.status_code}", "detail": response.reason_phrase}
    return rejection(response.status_code, body)
