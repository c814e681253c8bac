"""/v1.0/service_types: the catalogue every project may read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.schemas.service_types import ServiceTypeList, ServiceTypePublic, ServiceTypeShow
from servicevm_api.service_layer import service_types as service

router = APIRouter(prefix="/v1.0/service_types", tags=["service_types"], responses=ERROR_RESPONSES)
SERVICE_TYPE = Rendering(
    "service_type",
    ServiceTypePublic,
    {"id": uuid.UUID, "template_id": uuid.UUID, "tenant_id": str, "service_type": str},
)


@router.get("", response_model=ServiceTypeList, response_model_exclude_unset=True)
async def list_service_types(
    request: Request, caller: Annotated[Caller, authorize("service_type", "get_all")], uow: UowDep
) -> dict[str, Any]:
    query = SERVICE_TYPE.list_query(request)
    rows = await service.list_service_types(uow, caller, query)
    page, links = SERVICE_TYPE.page(request, query, rows)
    return {"service_types": page, "service_types_links": links}


@router.get("/{service_type_id}", response_model=ServiceTypeShow, response_model_exclude_unset=True)
async def show_service_type(
    service_type_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("service_type", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    fields = SERVICE_TYPE.fields(request)
    return SERVICE_TYPE.show(await service.get_service_type(uow, caller, service_type_id), fields)
