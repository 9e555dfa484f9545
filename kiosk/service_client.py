"""The kiosk's client for the unlock service (docs/api.md), on httpx: one method per endpoint.

The plumbing (idempotency keys, retries with backoff, refusals as exceptions
carrying a `contract.problems.ProblemCode`) is `kiosk.service_http`; its error
classes are named here again, so callers import everything from this module.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, ParamSpec, TypeVar

from pydantic import BaseModel

from contract import wire
from contract.contacts import RaContacts
from kiosk.flow.facts import Question
from kiosk.proof_body import CardProofValue, PivSignature, card_proof_json, hex_text
from kiosk.ra_client import RaClient
from kiosk.service_http import (
    CardProofInvalid,
    Expired,
    KioskUnauthorized,
    MailUnavailable,
    NotRegisteredError,
    SelfServiceLockedError,
    ServiceBusy,
    ServiceError,
    ServiceHttpClient,
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
    "CardProofInvalid",
    "CardProofValue",
    "CodeMailed",
    "CodeWindow",
    "Expired",
    "KioskUnauthorized",
    "MailUnavailable",
    "Nonce",
    "NotRegisteredError",
    "PivSignature",
    "card_proof_json",
    "PukPair",
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
# The kiosk's views of the contract's responses (`contract.wire`), with bytes and times
# parsed; where nothing needs parsing (health, audit) the contract's model is returned.

_M = TypeVar("_M", bound=BaseModel)


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
    next: Literal["answers", "code", "channel"]
    questions: tuple[Question, ...]
    attempts_left: int
    expires_at: datetime
    code_sent_to: str | None = None
    text_sent_to: str | None = None
    """A second code went by text (policy two-channel): both are asked for."""
    channels: tuple[tuple[str, str], ...] = ()
    """(channel, masked address) the holder may choose from, when next is "channel"."""
    policy: str = "questions"
    not_sent: tuple[str, ...] = ()
    """Two codes, and these channels' messages failed (the other went): owed."""


@dataclass(frozen=True)
class CodeMailed:
    """A code was emailed (answers accepted, or a resend): `wire.CodeSent`, times parsed."""

    code_sent_to: str
    code_expires_at: datetime
    text_sent_to: str | None = None
    """A second code went by text (policy two-channel)."""
    text_expires_at: datetime | None = None
    not_sent: tuple[str, ...] = ()
    """Two codes, and these channels' messages failed (the other went): a resend sends them."""


@dataclass(frozen=True)
class CodeWindow:
    """POST /v1/unlocks/{id}/code accepted the code: the window for the cryptogram and result."""

    expires_at: datetime


@dataclass(frozen=True)
class RegistrationStarted:
    """POST /v1/registrations."""

    registration_id: str
    expires_at: datetime


@dataclass(frozen=True)
class PukPair:
    """POST /v1/unlocks/{id}/puk: the card's escrowed PUK and the PUK to rotate it to.

    Held in memory for the APDUs that need them only; the repr never shows them.
    """

    puk: str = field(repr=False)
    next_puk: str = field(repr=False)
    settle: bool
    rotation: int


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _questions(items: Sequence[wire.Question]) -> tuple[Question, ...]:
    return tuple(Question(id=q.id, text=q.text) for q in items)


def _read(model: type[_M], body: object) -> _M:
    """A response body read by the contract's own model (`contract.wire`), so the kiosk
    and the service agree on its shape in one place; members a later service adds are
    ignored (the contract only ever adds optional ones)."""
    return model.model_validate(body, extra="ignore")


def _code_mailed(body: object) -> CodeMailed:
    sent = _read(wire.CodeSent, body)
    return CodeMailed(
        code_sent_to=sent.code_sent_to,
        code_expires_at=_time(sent.code_expires_at),
        text_sent_to=sent.text_sent_to,
        text_expires_at=_time(sent.text_expires_at) if sent.text_expires_at else None,
        not_sent=tuple(sent.not_sent or ()),
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


class ServiceClient(ServiceHttpClient):
    """Async client for the unlock service.

    The arguments are `kiosk.service_http.ServiceHttp`'s (base URL, kiosk token,
    timeout, retries, transport, backoff, TLS trust and how long to wait while it is
    busy), with the kiosk's defaults (`ServiceHttpClient`).
    """

    @property
    def language(self) -> str:
        """The holder's language ("en", "cy"), sent with every call (`Accept-Language`)."""
        return self._service.language

    @language.setter
    def language(self, value: str) -> None:
        self._service.language = value

    def ra_client(self) -> RaClient:
        """The RA desk's calls (docs/api.md "The RA desk") on this client's connection."""
        return RaClient.over(self._service)

    # -- endpoints ------------------------------------------------------------------

    @_answers_checked
    async def health(self) -> wire.Health:
        """GET /v1/health."""
        return _read(wire.Health, await self._service.json("GET", "/v1/health"))

    @_answers_checked
    async def questions(self, etag: str | None = None) -> QuestionCatalogue | None:
        """GET /v1/questions; None when etag still matches (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = await self._service.call(
            "GET", "/v1/questions", headers=headers, expect=(200, 304)
        )
        if response.status_code == 304:
            return None
        body = _read(wire.Questions, response.json())
        return QuestionCatalogue(
            version=body.version,
            questions=_questions(body.questions),
            etag=response.headers.get("ETag"),
        )

    @_answers_checked
    async def ra_contacts(self) -> RaContacts:
        """GET /v1/ra-contacts: how holders reach the RA team (as the mails say)."""
        return _read(RaContacts, await self._service.json("GET", "/v1/ra-contacts"))

    @_answers_checked
    async def policy(self) -> wire.PolicyOut:
        """GET /v1/policy: what unlocking takes in this deployment."""
        return _read(wire.PolicyOut, await self._service.json("GET", "/v1/policy"))

    @_answers_checked
    async def new_nonce(self) -> Nonce:
        """POST /v1/nonces."""
        body = _read(wire.NonceOut, await self._service.json("POST", "/v1/nonces"))
        return Nonce(nonce=bytes.fromhex(body.nonce), expires_at=_time(body.expires_at))

    @_answers_checked
    async def start_unlock(
        self,
        serial: bytes | str,
        uuid: str,
        nonce: bytes | str,
        mac: CardProofValue,
        *,
        idempotency_key: str | None = None,
    ) -> UnlockStarted:
        """POST /v1/unlocks, with the card key's MAC (or PIV 9E signature) over the nonce."""
        body = await self._service.json(
            "POST",
            "/v1/unlocks",
            json=card_proof_json(serial, uuid, nonce, mac),
            idempotency_key=idempotency_key,
        )
        started = _read(wire.UnlockOut, body)
        return UnlockStarted(
            unlock_id=started.unlock_id,
            next=started.next,
            questions=_questions(started.questions),
            attempts_left=started.attempts_left,
            expires_at=_time(started.expires_at),
            code_sent_to=started.code_sent_to,
            text_sent_to=started.text_sent_to,
            channels=tuple((c.channel, c.to) for c in started.channels or ()),
            policy=started.policy or "questions",
            not_sent=tuple(started.not_sent or ()),
        )

    @_answers_checked
    async def choose_unlock_channel(
        self, unlock_id: str, channel: str, *, idempotency_key: str | None = None
    ) -> CodeMailed:
        """POST /v1/unlocks/{id}/channel: the code goes by "email" or "sms"."""
        body = await self._service.json(
            "POST",
            f"/v1/unlocks/{unlock_id}/channel",
            json={"channel": channel},
            idempotency_key=idempotency_key,
        )
        return _code_mailed(body)

    @_answers_checked
    async def send_unlock_answers(
        self, unlock_id: str, answers: Mapping[str, str], *, idempotency_key: str | None = None
    ) -> CodeMailed:
        """POST /v1/unlocks/{id}/answers; the code is emailed when they are right."""
        body = await self._service.json(
            "POST",
            f"/v1/unlocks/{unlock_id}/answers",
            json={"answers": dict(answers)},
            idempotency_key=idempotency_key,
        )
        return _code_mailed(body)

    @_answers_checked
    async def send_unlock_code(
        self,
        unlock_id: str,
        code: str,
        *,
        text_code: str | None = None,
        idempotency_key: str | None = None,
    ) -> CodeWindow:
        """POST /v1/unlocks/{id}/code (with the texted code too under two-channel)."""
        sent: dict[str, str] = {"code": code}
        if text_code is not None:
            sent["text_code"] = text_code
        body = await self._service.json(
            "POST",
            f"/v1/unlocks/{unlock_id}/code",
            json=sent,
            idempotency_key=idempotency_key,
        )
        return CodeWindow(expires_at=_time(_read(wire.CodeAccepted, body).expires_at))

    @_answers_checked
    async def get_cryptogram(
        self, unlock_id: str, challenge: bytes | str, *, idempotency_key: str | None = None
    ) -> bytes:
        """POST /v1/unlocks/{id}/cryptogram: the 16 bytes for RESET RETRY COUNTER."""
        body = await self._service.json(
            "POST",
            f"/v1/unlocks/{unlock_id}/cryptogram",
            json={"challenge": hex_text(challenge)},
            idempotency_key=idempotency_key,
        )
        return bytes.fromhex(_read(wire.CryptogramOut, body).cryptogram)

    @_answers_checked
    async def get_puk(self, unlock_id: str, *, idempotency_key: str | None = None) -> PukPair:
        """POST /v1/unlocks/{id}/puk: a PIV card's PUK and the PUK to rotate it to."""
        body = await self._service.json(
            "POST", f"/v1/unlocks/{unlock_id}/puk", idempotency_key=idempotency_key
        )
        pair = _read(wire.PukOut, body)
        return PukPair(
            puk=pair.puk, next_puk=pair.next_puk, settle=pair.settle, rotation=pair.rotation
        )

    @_answers_checked
    async def report_puk_rotated(
        self, unlock_id: str, rotation: int, *, idempotency_key: str | None = None
    ) -> None:
        """POST /v1/unlocks/{id}/puk-rotated: the card took the PUK of `rotation`."""
        await self._service.call(
            "POST",
            f"/v1/unlocks/{unlock_id}/puk-rotated",
            json={"rotation": rotation},
            idempotency_key=idempotency_key,
        )

    @_answers_checked
    async def resend_unlock_code(
        self, unlock_id: str, *, idempotency_key: str | None = None
    ) -> CodeMailed:
        """POST /v1/unlocks/{id}/resend."""
        body = await self._service.json(
            "POST", f"/v1/unlocks/{unlock_id}/resend", idempotency_key=idempotency_key
        )
        return _code_mailed(body)

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
        await self._service.call(
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
        mac: CardProofValue,
        email: str,
        mobile: str,
        terms_version: str,
        *,
        idempotency_key: str | None = None,
    ) -> RegistrationStarted:
        """POST /v1/registrations, with the holder key's MAC (or PIV 9A signature)."""
        body = await self._service.json(
            "POST",
            "/v1/registrations",
            json={
                **card_proof_json(serial, uuid, nonce, mac),
                "email": email,
                "mobile": mobile,
                "terms_version": terms_version,
            },
            idempotency_key=idempotency_key,
        )
        started = _read(wire.RegistrationOut, body)
        return RegistrationStarted(
            registration_id=started.registration_id, expires_at=_time(started.expires_at)
        )

    @_answers_checked
    async def send_registration_answers(
        self,
        registration_id: str,
        answers: Mapping[str, str],
        *,
        idempotency_key: str | None = None,
    ) -> CodeMailed:
        """PUT /v1/registrations/{id}/answers; the registration code is emailed."""
        body = await self._service.json(
            "PUT",
            f"/v1/registrations/{registration_id}/answers",
            json={"answers": dict(answers)},
            idempotency_key=idempotency_key,
        )
        return _code_mailed(body)

    @_answers_checked
    async def confirm_registration(
        self, registration_id: str, code: str, *, idempotency_key: str | None = None
    ) -> str | None:
        """POST /v1/registrations/{id}/confirm: registered when this returns.

        Returns:
            The deployment's policy (None from a service that does not say).
        """
        body = await self._service.json(
            "POST",
            f"/v1/registrations/{registration_id}/confirm",
            json={"code": code},
            idempotency_key=idempotency_key,
        )
        return _read(wire.Registered, body).policy

    @_answers_checked
    async def resend_registration_code(
        self, registration_id: str, *, idempotency_key: str | None = None
    ) -> CodeMailed:
        """POST /v1/registrations/{id}/resend."""
        body = await self._service.json(
            "POST",
            f"/v1/registrations/{registration_id}/resend",
            idempotency_key=idempotency_key,
        )
        return _code_mailed(body)

    @_answers_checked
    async def send_audit(
        self, events: Sequence[wire.AuditEvent], *, idempotency_key: str | None = None
    ) -> wire.AuditOut:
        """POST /v1/audit; events seen before count as duplicates, not errors."""
        body = await self._service.json(
            "POST",
            "/v1/audit",
            json={"events": [e.model_dump(mode="json") for e in events]},
            idempotency_key=idempotency_key,
        )
        return _read(wire.AuditOut, body)
