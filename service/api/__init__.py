"""The HTTP face of the unlock service (docs/api.md): FastAPI routers over service.domain.

Modules:
    app: `create_app`, which assembles the parts, routers and error handlers.
    deps: the dependencies routes declare (the service, the calling kiosk, idempotency).
    errors: the one table from domain errors to HTTP statuses, and the problem handlers.
    routes: one APIRouter per resource.
"""
