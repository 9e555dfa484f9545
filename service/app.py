"""The HTTP face of the unlock service (docs/api.md), as a FastAPI app."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException

from card.keys import MasterKeys, load_dev_keys, load_master_keys
from service import __version__
from service.mailer import SmtpMailer
from service.problems import PROBLEM_MEDIA_TYPE, MailUnavailable, Problem
from service.selfservice import Clock, Kiosk, SelfService, rfc3339, utc_now
from service.settings import ServiceSettings
from service.store import migrate, open_engine

log = logging.getLogger(__name__)

Hex16 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{16}$", to_lower=True)]
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$", to_lower=True)]
Uuid12 = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
# No NUL anywhere: PostgreSQL text cannot hold it, and no holder types one.
_NO_NUL = r"^[^\x00]*$"


Text12 = Annotated[str, StringConstraints(max_length=12, pattern=_NO_NUL)]
Text16 = Annotated[str, StringConstraints(max_length=16, pattern=_NO_NUL)]
Text32 = Annotated[str, StringConstraints(max_length=32, pattern=_NO_NUL)]
Text40 = Annotated[str, StringConstraints(max_length=40, pattern=_NO_NUL)]
Text64 = Annotated[str, StringConstraints(max_length=64, pattern=_NO_NUL)]
Text320 = Annotated[str, StringConstraints(max_length=320, pattern=_NO_NUL)]
Name64 = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NO_NUL)]


Answer = Annotated[str, StringConstraints(max_length=1024)]
QuestionId = Annotated[str, StringConstraints(max_length=16)]
Code = Annotated[str, StringConstraints(max_length=64)]
FlowId = Annotated[str, StringConstraints(max_length=64, pattern=_NO_NUL)]


def _answer_too_long(error: Any) -> bool:
    """Whether a validation error is one answer over the body's length limit."""
    loc = tuple(error.get("loc", ()))
    return error.get("type") == "string_too_long" and loc[:2] == ("body", "answers")


class KeysRefused(RuntimeError):
    """The master keys cannot be used in this mode."""


# -- wire models -------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemBody(BaseModel):
    """application/problem+json with the extension members of docs/api.md."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int
    detail: str
    code: str
    attempts_left: int | None = None
    tries_left: int | None = None
    retry_after: int | None = None
    approved_domains: list[str] | None = None
    terms_version: str | None = None


class Health(_Model):
    status: Literal["ok"]
    version: str


class Question(_Model):
    id: str
    text: str


class Questions(_Model):
    version: str
    questions: list[Question]


class NonceOut(_Model):
    nonce: str
    expires_at: str


class UnlockIn(_Model):
    serial: Hex16
    uuid: Uuid12
    nonce: Hex32
    mac: Hex32


class UnlockOut(_Model):
    unlock_id: str
    next: Literal["answers", "code"]
    questions: list[Question]
    attempts_left: int
    expires_at: str
    code_sent_to: str | None = None


class AnswersIn(_Model):
    answers: dict[QuestionId, Answer] = Field(max_length=32)


class CodeSent(_Model):
    code_sent_to: str
    code_expires_at: str


class CodeIn(_Model):
    code: Code


class CodeAccepted(_Model):
    status: Literal["code_accepted"]
    expires_at: str


class ChallengeIn(_Model):
    challenge: Hex32


class CryptogramOut(_Model):
    cryptogram: str


class ResultIn(_Model):
    outcome: Literal["unlocked", "card_error"]
    status_word: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{4}$")]


class Empty(_Model):
    pass


class RegistrationIn(_Model):
    serial: Hex16
    uuid: Uuid12
    nonce: Hex32
    mac: Hex32
    email: Text320
    mobile: Text32
    terms_version: Text64


class RegistrationOut(_Model):
    registration_id: str
    expires_at: str


class Registered(_Model):
    status: Literal["registered"]


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Name64
    at: Text40
    type: Name64
    serial: Text16 | None = None
    uuid: Text12 | None = None
    outcome: Text64
    detail: dict[str, Any] = Field(default_factory=dict)


class AuditIn(_Model):
    events: list[AuditEvent] = Field(max_length=1000)


class AuditOut(_Model):
    accepted: int
    duplicates: int


# -- documentation of refusals --------------------------------------------------------


def _errors(*extra: tuple[int, str], write: bool = True) -> dict[int | str, dict[str, Any]]:
    """Documented refusals: each status with the problem codes it can carry.

    Every authenticated call can answer 401 unauthorized, 422 request_invalid and
    429 too_many_requests; every POST/PUT also the Idempotency-Key refusals.
    """
    codes: dict[int, list[str]] = {
        401: ["unauthorized"],
        422: ["request_invalid"],
        429: ["too_many_requests"],
    }
    if write:
        codes[422].append("idempotency_key_reused")
        codes[409] = ["request_in_progress"]
    for status, code in extra:
        codes.setdefault(status, []).append(code)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, names in sorted(codes.items()):
        schema = {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"type": "object", "properties": {"code": {"enum": names}}},
            ]
        }
        responses[status] = {
            "description": "Refused: " + ", ".join(f"`{n}`" for n in names),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
    return responses


UNLOCK = ((404, "unknown_unlock"), (409, "wrong_step"), (410, "unlock_expired"))
REGISTRATION = (
    (404, "unknown_registration"),
    (409, "wrong_step"),
    (410, "registration_expired"),
)
LOCKED = (423, "self_service_locked")
MAIL = (503, "mail_unavailable")
CODE = ((410, "code_expired"), (410, "code_void"), (422, "code_wrong"))
RESEND = ((410, "code_void"), (429, "too_many_resends"))

_bearer = HTTPBearer(auto_error=False, description="Kiosk token")


def kiosk_auth(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Kiosk:
    """The calling kiosk, from its bearer token (401 otherwise)."""
    service: SelfService = request.app.state.service
    return service.authenticate(credentials.credentials if credentials else None)


KioskDep = Annotated[Kiosk, Depends(kiosk_auth)]
IdemKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=64, description="Repeat-safe request key"),
]


def mailer_for(settings: ServiceSettings) -> SmtpMailer:
    """The SMTP mailer the settings describe."""
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        settings.mail_dir,
        timeout=settings.smtp_timeout,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
    )


def load_masters(settings: ServiceSettings) -> MasterKeys:
    """The master keys the settings name, refusing the development ones outside demo.

    Raises:
        KeysRefused: no keys given outside demo, or development keys outside demo.
    """
    if settings.keys is None:
        if not settings.demo:
            raise KeysRefused("no master keys given (--keys FILE); development keys need --demo")
        return load_dev_keys()
    masters = load_master_keys(settings.keys)
    if masters.is_development() and not settings.demo:
        raise KeysRefused("these are the published development keys; they need --demo")
    return masters


def create_app(
    settings: ServiceSettings,
    *,
    clock: Clock = utc_now,
    masters: MasterKeys | None = None,
) -> FastAPI:
    """Build the service app: store migrated, keys checked, mail configured.

    Args:
        settings: the service settings.
        clock: the time source (tests inject one they can move).
        masters: master keys; loaded from settings when None.

    Returns:
        The ASGI app; its SelfService is `app.state.service`.

    Raises:
        KeysRefused: development keys (or none) outside demo mode.
    """
    if masters is None:
        masters = load_masters(settings)
    elif masters.is_development() and not settings.demo:
        raise KeysRefused("these are the published development keys; they need --demo")
    if settings.demo:
        log.warning("DEMO MODE: public development keys and the demo kiosk token are accepted")
    engine = open_engine(settings.db)
    migrate(engine)
    mailer = mailer_for(settings)
    service = SelfService(settings, engine, masters, mailer, clock)
    app = FastAPI(
        title="Smartcard self-service unlock service",
        version=__version__,
        description="Wire contract v1 (docs/api.md).",
        # A kiosk-facing service has no use for browser pages that load outside scripts.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service

    def idempotent(
        request: Request,
        kiosk: Kiosk,
        key: str | None,
        body: BaseModel | None,
        status: int,
        action: Callable[[], dict[str, Any]],
        replay: Callable[[], dict[str, Any]] | None = None,
    ) -> Response:
        """Run action once per (kiosk, Idempotency-Key), replaying the first answer."""
        if key is None:
            return JSONResponse(action(), status_code=status)
        method, path = request.method, request.url.path
        canonical = body.model_dump_json() if body is not None else ""
        stored = service.idempotency_begin(kiosk, key, method, path, canonical)
        if stored is not None:
            stored_status, stored_body = stored
            if stored_body is None and replay is not None:
                return JSONResponse(replay(), status_code=stored_status)
            content = json.loads(stored_body or "{}")
            media = PROBLEM_MEDIA_TYPE if stored_status >= 400 else "application/json"
            return JSONResponse(content, status_code=stored_status, media_type=media)
        try:
            result = action()
        except Problem as refusal:
            service.idempotency_finish(kiosk, key, refusal.status, json.dumps(refusal.body()))
            raise
        except BaseException:
            service.idempotency_finish(kiosk, key, 500, None)
            raise
        service.idempotency_finish(
            kiosk, key, status, None if replay is not None else json.dumps(result)
        )
        return JSONResponse(result, status_code=status)

    # -- handlers ----------------------------------------------------------------

    @app.exception_handler(Problem)
    async def on_problem(_request: Request, exc: Problem) -> Response:
        headers = (
            {"Retry-After": str(exc.extras["retry_after"])} if "retry_after" in exc.extras else None
        )
        return JSONResponse(
            exc.body(), status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
        )

    @app.exception_handler(MailUnavailable)
    async def on_mail(_request: Request, _exc: MailUnavailable) -> Response:
        problem = Problem(503, "mail_unavailable", "The email could not be sent; try again soon.")
        return await on_problem(_request, problem)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> Response:
        # Only where and what, never the input: it may be an answer or a code.
        errors = exc.errors()
        if errors and all(_answer_too_long(e) for e in errors):
            # A huge paste into an answer is a bad answer (docs/api.md: answers_invalid,
            # nothing counted), not a malformed request the kiosk cannot explain.
            problem = Problem(422, "answers_invalid", "An answer is far too long.")
            return await on_problem(_request, problem)
        where = sorted({".".join(str(p) for p in e.get("loc", ())) for e in errors})
        problem = Problem(422, "request_invalid", f"Malformed request: {', '.join(where)}.")
        return await on_problem(_request, problem)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot even decode (bytes that are not
            # UTF-8): to the contract that is a malformed body like any other.
            problem = Problem(422, "request_invalid", "Malformed request: body.")
            return await on_problem(_request, problem)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return await on_problem(_request, Problem(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def on_crash(_request: Request, exc: Exception) -> Response:
        log.error("unhandled %s", type(exc).__name__)
        return await on_problem(_request, Problem(500, "internal_error", "Something went wrong."))

    # -- endpoints ---------------------------------------------------------------

    @app.get("/v1/health", response_model=Health, tags=["service"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    catalogue = service.catalogue
    questions_body = {
        "version": catalogue.version,
        "questions": [{"id": q, "text": t} for q, t in catalogue.questions.items()],
    }
    etag = '"' + hashlib.sha256(json.dumps(questions_body).encode()).hexdigest()[:32] + '"'

    @app.get(
        "/v1/questions",
        response_model=Questions,
        responses={304: {"description": "Not modified"}, **_errors(write=False)},
        tags=["service"],
    )
    def questions(
        _kiosk: KioskDep,
        if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
    ) -> Response:
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(questions_body, headers={"ETag": etag})

    @app.post(
        "/v1/nonces",
        status_code=201,
        response_model=NonceOut,
        responses=_errors(),
        tags=["service"],
    )
    def nonces(request: Request, kiosk: KioskDep, key: IdemKey = None) -> Response:
        def issue() -> dict[str, Any]:
            nonce, expires = service.new_nonce(kiosk)
            return {"nonce": nonce, "expires_at": rfc3339(expires)}

        return idempotent(request, kiosk, key, None, 201, issue)

    @app.post(
        "/v1/unlocks",
        status_code=201,
        response_model=UnlockOut,
        responses=_errors((403, "card_proof_invalid"), (409, "not_registered"), LOCKED, MAIL),
        tags=["unlock"],
    )
    def start_unlock(
        request: Request, kiosk: KioskDep, body: UnlockIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            201,
            lambda: service.start_unlock(kiosk, body.serial, body.uuid, body.nonce, body.mac),
        )

    @app.post(
        "/v1/unlocks/{unlock_id}/answers",
        response_model=CodeSent,
        responses=_errors(*UNLOCK, (422, "answers_invalid"), (422, "answers_wrong"), LOCKED, MAIL),
        tags=["unlock"],
    )
    def unlock_answers(
        request: Request, kiosk: KioskDep, unlock_id: FlowId, body: AnswersIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.unlock_answers(kiosk, unlock_id, body.answers),
        )

    @app.post(
        "/v1/unlocks/{unlock_id}/code",
        response_model=CodeAccepted,
        responses=_errors(*UNLOCK, *CODE),
        tags=["unlock"],
    )
    def unlock_code(
        request: Request, kiosk: KioskDep, unlock_id: FlowId, body: CodeIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request, kiosk, key, body, 200, lambda: service.unlock_code(kiosk, unlock_id, body.code)
        )

    @app.post(
        "/v1/unlocks/{unlock_id}/cryptogram",
        response_model=CryptogramOut,
        responses=_errors(*UNLOCK, (429, "too_many_attempts")),
        tags=["unlock"],
    )
    def unlock_cryptogram(
        request: Request,
        kiosk: KioskDep,
        unlock_id: FlowId,
        body: ChallengeIn,
        key: IdemKey = None,
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.unlock_cryptogram(kiosk, unlock_id, body.challenge),
            replay=lambda: service.replay_cryptogram(kiosk, unlock_id, body.challenge),
        )

    @app.post(
        "/v1/unlocks/{unlock_id}/resend",
        response_model=CodeSent,
        responses=_errors(*UNLOCK, *RESEND, MAIL),
        tags=["unlock"],
    )
    def unlock_resend(
        request: Request, kiosk: KioskDep, unlock_id: FlowId, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request, kiosk, key, None, 200, lambda: service.unlock_resend(kiosk, unlock_id)
        )

    @app.post(
        "/v1/unlocks/{unlock_id}/result",
        response_model=Empty,
        responses=_errors(*UNLOCK, MAIL),
        tags=["unlock"],
    )
    def unlock_result(
        request: Request, kiosk: KioskDep, unlock_id: FlowId, body: ResultIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.unlock_result(kiosk, unlock_id, body.outcome, body.status_word),
        )

    @app.post(
        "/v1/registrations",
        status_code=201,
        response_model=RegistrationOut,
        responses=_errors(
            (403, "holder_proof_invalid"),
            (422, "email_not_approved"),
            (422, "mobile_invalid"),
            (422, "terms_outdated"),
        ),
        tags=["registration"],
    )
    def start_registration(
        request: Request, kiosk: KioskDep, body: RegistrationIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            201,
            lambda: service.start_registration(
                kiosk,
                body.serial,
                body.uuid,
                body.nonce,
                body.mac,
                body.email,
                body.mobile,
                body.terms_version,
            ),
        )

    @app.put(
        "/v1/registrations/{registration_id}/answers",
        response_model=CodeSent,
        responses=_errors(*REGISTRATION, (422, "answers_invalid"), MAIL),
        tags=["registration"],
    )
    def registration_answers(
        request: Request,
        kiosk: KioskDep,
        registration_id: FlowId,
        body: AnswersIn,
        key: IdemKey = None,
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.registration_answers(kiosk, registration_id, body.answers),
        )

    @app.post(
        "/v1/registrations/{registration_id}/confirm",
        response_model=Registered,
        responses=_errors(*REGISTRATION, *CODE),
        tags=["registration"],
    )
    def registration_confirm(
        request: Request,
        kiosk: KioskDep,
        registration_id: FlowId,
        body: CodeIn,
        key: IdemKey = None,
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.registration_confirm(kiosk, registration_id, body.code),
        )

    @app.post(
        "/v1/registrations/{registration_id}/resend",
        response_model=CodeSent,
        responses=_errors(*REGISTRATION, *RESEND, MAIL),
        tags=["registration"],
    )
    def registration_resend(
        request: Request, kiosk: KioskDep, registration_id: FlowId, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            None,
            200,
            lambda: service.registration_resend(kiosk, registration_id),
        )

    @app.post("/v1/audit", response_model=AuditOut, responses=_errors(), tags=["audit"])
    def post_audit(
        request: Request, kiosk: KioskDep, body: AuditIn, key: IdemKey = None
    ) -> Response:
        return idempotent(
            request,
            kiosk,
            key,
            body,
            200,
            lambda: service.record_kiosk_events(kiosk, [e.model_dump() for e in body.events]),
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = ProblemBody.model_json_schema()
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
