"""`create_app`: the unlock service as a FastAPI app (docs/api.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from card.keys import MasterKeys
from contract.wire import ProblemBody
from service import __version__
from service.api.body_limit import BodyLimit
from service.api.errors import install_handlers
from service.api.log_secrecy import FaultContainment, filter_access_log
from service.api.mail_language import MailLanguage
from service.api.request_log import RequestLog
from service.api.routes import ROUTERS
from service.assembly import check_masters, load_masters, mailer_for
from service.domain.times import Clock, utc_now
from service.domain.unlocks import QUESTIONS_ASKED
from service.housekeeping import Housekeeping
from service.metrics import MetricsServer
from service.selfservice import SelfService
from service.settings import ServiceSettings
from service.store import migrate, open_engine

log = logging.getLogger(__name__)


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
    else:
        check_masters(masters, settings)
    if settings.demo:
        log.warning("DEMO MODE: public development keys and the demo kiosk token are accepted")
    engine = open_engine(settings.db, settings.db_pool_size)
    migrate(engine)
    service = SelfService(settings, engine, masters, mailer_for(settings), clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Served by the server's lifespan, so only a served app opens the metrics port.
        exporter = None
        if settings.metrics_port is not None:
            exporter = MetricsServer(
                settings.metrics_host, settings.metrics_port, service.answer_checks, engine
            )
            exporter.start()
            log.info(
                "metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port
            )
        # What one answer check costs here, timed once in the background, so the journey
        # door admits new journeys at the rate answer steps will finish (issue 14).
        # (A hash costs what a verify does: the same argon2id work.)
        service.answer_checks.calibrate(lambda: service.hasher.hash("calibration"), QUESTIONS_ASKED)
        # Beats and the notice sweep: served apps only, like the metrics port.
        housekeeping = Housekeeping(service)
        housekeeping.start()
        try:
            yield
        finally:
            housekeeping.stop()
            if exporter is not None:
                exporter.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Smartcard self-service unlock service",
        version=__version__,
        description="Wire contract v1 (docs/api.md).",
        # A kiosk-facing service has no use for browser pages that load outside scripts.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    install_handlers(app)
    # Outermost of the app's own layers: a body is bounded before routing, the
    # token check or parsing see any of it.
    limits = settings.body_limits
    app.add_middleware(
        BodyLimit,
        default=limits.default_bytes,
        per_path={"/v1/audit": limits.audit_bytes},
    )
    # Added last, so outermost of the app's layers: no fault reaches the server's log.
    app.add_middleware(MailLanguage)
    app.add_middleware(FaultContainment)
    # Outside even that: the access line and request metrics see the 500 it answers.
    app.add_middleware(RequestLog)
    filter_access_log()
    for router in ROUTERS:
        app.include_router(router)

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
