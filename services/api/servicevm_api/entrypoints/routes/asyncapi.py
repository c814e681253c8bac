"""/v1.0/asyncapi.json: the AsyncAPI 3.0 contract of the notifications (their channels and
each body's JSON Schema), for any authenticated caller."""

from __future__ import annotations

import json
from functools import lru_cache

from fastapi import APIRouter, Request, Response

from servicevm_api.asyncapi import build_document
from servicevm_api.entrypoints.deps import CallerDep
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.schemas.asyncapi import AsyncApiDocument
from shared.config import Settings

router = APIRouter(prefix="/v1.0", tags=["notifications"], responses=ERROR_RESPONSES)


@lru_cache(maxsize=4)
def _rendered(amqp_url: str) -> bytes:
    # The same for the process's life: built from code, rendered once.
    return json.dumps(build_document(amqp_url)).encode()


@router.get(
    "/asyncapi.json",
    summary="The AsyncAPI 3.0 document of the notifications",
    response_model=AsyncApiDocument,
)
async def asyncapi_document(request: Request, _caller: CallerDep) -> Response:
    settings: Settings = request.app.state.settings
    return Response(_rendered(settings.amqp_url), media_type="application/json")
