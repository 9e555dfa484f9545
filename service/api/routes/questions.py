"""GET /v1/questions: the question catalogue, revalidated with ETag / If-None-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from contract.wire import Questions
from service.api.deps import KioskDep, ServiceDep
from service.api.errors import documented

router = APIRouter(prefix="/v1", tags=["service"])

# A coroutine: the catalogue is in memory, so only the token check takes a thread.


@router.get(
    "/questions",
    response_model=Questions,
    responses={304: {"description": "Not modified"}, **documented(write=False)},
)
async def questions(
    service: ServiceDep,
    _kiosk: KioskDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Questions | Response:
    etag = service.catalogue.etag
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return service.catalogue.wire
