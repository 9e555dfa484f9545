"""The service client's plumbing: one HTTP exchange with retries, and how a call fails.

Every POST and PUT carries an Idempotency-Key made once per logical call and
reused on each retry, so a retry after a lost answer never sends a second email
or counts a second failure. Transport failures are retried with backoff and end
as ServiceUnreachableError; refusals end as ServiceRejected (or one of its
subclasses) carrying the problem code (`contract.problems.ProblemCode`) and the
problem's extension members. `kiosk.service_client` makes the endpoint calls.

A 503 `service_busy` (answer checking is full) counted nothing and left the key
unused (docs/api.md "Busy"), so the call waits the service's Retry-After plus
jitter and sends the very same request again, same key, by itself, for at most
`busy_wait_max` seconds in all; whoever made the call hears of each wait through
`telling_busy` (the kiosk shows it) and of the end only as the call's outcome.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import uuid as uuid_module
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from contract.problems import PROBLEM_MEDIA_TYPE, ProblemCode
from contract.problems import ProblemCode as P

# -- errors ---------------------------------------------------------------------------


class ServiceError(Exception):
    """Anything that kept a call to the service from succeeding."""


class ServiceUnreachableError(ServiceError):
    """The service could not be reached (or did not answer in time) after retries."""


class ServiceRejected(ServiceError):
    """The service answered with a problem: branch on `problem`.

    Attributes:
        status: HTTP status.
        code: the problem's `code` as sent (docs/api.md).
        problem: that code as a ProblemCode; None for a code this kiosk does not know.
        detail: human-readable explanation (safe to log, never shown as-is to holders).
        extras: the problem's extension members (attempts_left, tries_left, retry_after,
            approved_domains, terms_version ...).
    """

    problems: frozenset[ProblemCode] = frozenset()
    """The problem codes this subclass stands for."""

    def __init__(self, status: int, code: str, detail: str, extras: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.problem = problem_code(code)
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
    def wrong_codes(self) -> tuple[str, ...]:
        """Which of two codes were wrong (code_wrong under two-channel): "email", "sms"."""
        named = self.extras.get("wrong_codes")
        if not isinstance(named, list):
            return ()
        return tuple(str(one) for one in named if one in ("email", "sms"))

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again (429s, 503 service_busy)."""
        return _int_or_none(self.extras.get("retry_after"))


class KioskUnauthorized(ServiceRejected):
    """401: the kiosk token is missing, unknown or not allowed in this mode."""

    problems = frozenset({ProblemCode.UNAUTHORIZED})


class CardProofInvalid(ServiceRejected):
    """403: the card (or holder) proof failed; never says whether the holder exists."""

    problems = frozenset({ProblemCode.CARD_PROOF_INVALID, ProblemCode.HOLDER_PROOF_INVALID})


class NotRegisteredError(ServiceRejected):
    """409 not_registered: only the RA team can unlock this card."""

    problems = frozenset({ProblemCode.NOT_REGISTERED})


class SelfServiceLockedError(ServiceRejected):
    """423 self_service_locked: three failed attempts; the RA team must clear it."""

    problems = frozenset({ProblemCode.SELF_SERVICE_LOCKED})


class Expired(ServiceRejected):
    """410: the unlock, registration or code can no longer be used; start again or resend."""

    problems = frozenset({P.UNLOCK_EXPIRED, P.REGISTRATION_EXPIRED, P.CODE_EXPIRED, P.CODE_VOID})


class WrongAnswers(ServiceRejected):
    """422 answers_wrong: see attempts_left."""

    problems = frozenset({ProblemCode.ANSWERS_WRONG})


class WrongCode(ServiceRejected):
    """422 code_wrong: see tries_left."""

    problems = frozenset({ProblemCode.CODE_WRONG})


class WrongStep(ServiceRejected):
    """409 wrong_step: the call came out of order."""

    problems = frozenset({ProblemCode.WRONG_STEP})


class TooManyRequests(ServiceRejected):
    """429 (too_many_requests, too_many_resends, too_many_attempts): see retry_after."""

    problems = frozenset({P.TOO_MANY_REQUESTS, P.TOO_MANY_RESENDS, P.TOO_MANY_ATTEMPTS})


class MailUnavailable(ServiceRejected):
    """503 mail_unavailable: nothing was sent or counted; try again shortly."""

    problems = frozenset({ProblemCode.MAIL_UNAVAILABLE})


class ServiceBusy(ServiceRejected):
    """503 service_busy, still busy after `busy_wait_max`: nothing was counted or kept."""

    problems = frozenset({ProblemCode.SERVICE_BUSY})


_REJECTIONS: dict[ProblemCode, type[ServiceRejected]] = {
    problem: cls
    for cls in (
        KioskUnauthorized,
        CardProofInvalid,
        NotRegisteredError,
        SelfServiceLockedError,
        Expired,
        WrongAnswers,
        WrongCode,
        WrongStep,
        TooManyRequests,
        MailUnavailable,
        ServiceBusy,
    )
    for problem in cls.problems
}


def problem_code(code: object) -> ProblemCode | None:
    """The ProblemCode for a problem's `code` member, or None when it is not one."""
    try:
        return ProblemCode(str(code))
    except ValueError:
        return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def rejection(status: int, body: Mapping[str, Any]) -> ServiceRejected:
    """The most specific ServiceRejected for a problem body."""
    code = str(body.get("code", f"http_{status}"))
    detail = str(body.get("detail", ""))
    standard = {"type", "title", "status", "detail", "code"}
    extras = {k: v for k, v in body.items() if k not in standard}
    problem = problem_code(code)
    cls = _REJECTIONS.get(problem, ServiceRejected) if problem is not None else ServiceRejected
    return cls(status, code, detail, extras)


class _InProgress(Exception):
    """409 request_in_progress: the first attempt with our key is still running."""


class _Gateway(Exception):
    """502/503/504 that is not the service's own problem: a proxy could not reach it."""


BusyListener = Callable[[int], None]
"""Told the seconds the service asked for, each time a call waits on 503 service_busy."""

_busy_listener: ContextVar[BusyListener | None] = ContextVar("busy_listener", default=None)


@contextmanager
def telling_busy(listener: BusyListener) -> Iterator[None]:
    """Within the block, every call that waits because the service is busy tells `listener`.

    A context variable rather than an argument: the endpoint methods stay as the
    API has them, and only the caller that shows the wait needs to know of it.
    """
    token = _busy_listener.set(listener)
    try:
        yield
    finally:
        _busy_listener.reset(token)


def busy_seconds(response: httpx.Response) -> int | None:
    """The Retry-After of a 503 service_busy (header, else body), or None: not busy."""
    if response.status_code != 503 or _problem(response) is not ProblemCode.SERVICE_BUSY:
        return None
    header = response.headers.get("Retry-After", "")
    if header.isdigit():
        return max(1, int(header))
    try:
        body = response.json()
    except ValueError:
        return 1
    seconds = _int_or_none(body.get("retry_after")) if isinstance(body, dict) else None
    return max(1, seconds) if seconds is not None else 1


# -- the exchange ---------------------------------------------------------------------


class ServiceHttp:
    """HTTP to the unlock service: headers, idempotency keys, retries, refusals.

    Args:
        base_url: e.g. "http://127.0.0.1:8750".
        kiosk_token: this kiosk's bearer token.
        timeout: connect and read timeout, seconds.
        retries: extra attempts after a transport failure (with backoff).
        transport: an httpx transport (tests, proxies); the default one otherwise.
        backoff_initial: first wait between attempts, seconds (and the jitter).
        backoff_max: longest wait between attempts, seconds.
        verify: the TLS context the service's certificate is checked with
            (`kiosk.service_tls.trust_context`), or True for the system's CAs.
        busy_wait_max: longest a call waits in all on 503 service_busy before it
            fails with ServiceBusy, seconds (0: never wait).
        busy_jitter: up to this many seconds added to each Retry-After, so kiosks
            turned away together do not all come back together.
    """

    def __init__(
        self,
        base_url: str,
        kiosk_token: str,
        *,
        timeout: float,
        retries: int,
        transport: httpx.AsyncBaseTransport | None,
        backoff_initial: float,
        backoff_max: float,
        verify: ssl.SSLContext | bool = True,
        busy_wait_max: float = 60.0,
        busy_jitter: float = 1.0,
    ) -> None:
        self._busy_wait_max = busy_wait_max
        self._busy_jitter = busy_jitter
        self._retries = retries
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._options: dict[str, Any] = {
            "base_url": base_url.rstrip("/"),
            "headers": {"Authorization": f"Bearer {kiosk_token}", "Accept": "application/json"},
            "timeout": httpx.Timeout(timeout),
            "transport": transport,
            "follow_redirects": False,
            "verify": verify,
        }
        self._pool: httpx.AsyncClient | None = None
        self.language = "en"
        """The holder's language, sent as `Accept-Language`: the service mails in it."""

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

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> httpx.Response:
        """One logical call, retried on transport failures; the answer if it is expected.

        Raises:
            ServiceUnreachableError: No usable answer after the retries.
            ServiceRejected: The service refused (a problem body, or another status).
        """
        send_headers = {"Accept-Language": self.language, **(headers or {})}
        if method in ("POST", "PUT"):
            # One key per logical call: every retry below reuses it, the busy ones too.
            send_headers["Idempotency-Key"] = idempotency_key or uuid_module.uuid4().hex
        waited = 0.0
        while True:
            response = await self._exchange(method, path, json, send_headers)
            seconds = busy_seconds(response)
            if seconds is None:
                break
            pause = seconds + random.uniform(0, self._busy_jitter)
            if waited + pause > self._busy_wait_max:
                break
            listener = _busy_listener.get()
            if listener is not None:
                listener(seconds)
            await asyncio.sleep(pause)
            waited += pause
        if response.status_code in expect:
            return response
        raise _rejection_from(response)

    async def _exchange(
        self,
        method: str,
        path: str,
        json: Mapping[str, Any] | None,
        send_headers: Mapping[str, str],
    ) -> httpx.Response:
        """One request, retried on transport failures, a call in progress or a gateway."""

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
                    if (
                        response.status_code == 409
                        and _problem(response) is ProblemCode.REQUEST_IN_PROGRESS
                    ):
                        raise _InProgress()
                    if response.status_code in (502, 503, 504) and not _is_problem(response):
                        # The service never saw it, and 5xx answers are never kept under
                        # the key, so the same key may safely go again.
                        raise _Gateway()
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if isinstance(last, _InProgress):
                raise ServiceUnreachableError(
                    "the service is still working on this request"
                ) from None
            if isinstance(last, _Gateway):
                raise ServiceUnreachableError("a gateway could not reach the service") from None
            raise ServiceUnreachableError(f"service unreachable: {type(last).__name__}") from last
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """`call`, and its answer as a JSON object."""
        response = await self.call(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceError("the service answered with something that is not JSON") from exc
        if not isinstance(body, dict):
            raise ServiceError("the service answered with unexpected JSON")
        return body


def _is_problem(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith(PROBLEM_MEDIA_TYPE)


def _problem(response: httpx.Response) -> ProblemCode | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return problem_code(body.get("code")) if isinstance(body, dict) else None


def _rejection_from(response: httpx.Response) -> ServiceRejected:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"code": f"http_{response.status_code}", "detail": response.reason_phrase}
    return rejection(response.status_code, body)


class ServiceHttpClient:
    """Base of the kiosk's clients of the unlock service (`kiosk.service_client.ServiceClient`,
    `kiosk.ra_client.RaClient`): one `ServiceHttp` underneath, its own or shared.

    The arguments are `ServiceHttp`'s, with the kiosk's defaults.
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

    @classmethod
    def over(cls, http: ServiceHttp) -> Self:
        """A client on an existing connection (another client's), sharing its pool."""
        client = cls.__new__(cls)
        client._service = http
        return client

    async def aclose(self) -> None:
        """Close the connection pool (if a call ever opened it)."""
        await self._service.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
