"""/v1.0/service_instances: parse, authorize, call the service layer, render."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.schemas.service_instances import (
    ServiceInstanceCreateRequest,
    ServiceInstanceList,
    ServiceInstancePublic,
    ServiceInstanceResponse,
    ServiceInstanceShow,
    ServiceInstanceUpdateRequest,
)
from servicevm_api.service_layer import service_instances as service

router = APIRouter(
    prefix="/v1.0/service_instances", tags=["service_instances"], responses=ERROR_RESPONSES
)
INSTANCE = Rendering(
    "service_instance",
    ServiceInstancePublic,
    {
        "id": uuid.UUID,
        "tenant_id": str,
        "name": str,
        "service_type_id": uuid.UUID,
        "service_table_id": str,
        "mgmt_driver": str,
        "mgmt_address": str,
        "status": str,
        "error_reason": str,
    },
)


@router.post("", status_code=201, response_model=ServiceInstanceResponse)
async def create_service_instance(
    body: ServiceInstanceCreateRequest,
    caller: Annotated[Caller, authorize("service_instance", "create")],
    uow: UowDep,
) -> ServiceInstanceResponse:
    row = await service.create_instance(uow, caller, body.service_instance)
    return ServiceInstanceResponse(service_instance=INSTANCE.one(row))


@router.get("", response_model=ServiceInstanceList, response_model_exclude_unset=True)
async def list_service_instances(
    request: Request,
    caller: Annotated[Caller, authorize("service_instance", "get_all")],
    uow: UowDep,
) -> dict[str, Any]:
    query = INSTANCE.list_query(request)
    rows = await service.list_instances(uow, caller, query)
    page, links = INSTANCE.page(request, query, rows)
    return {"service_instances": page, "service_instances_links": links}


@router.get("/{instance_id}", response_model=ServiceInstanceShow, response_model_exclude_unset=True)
async def show_service_instance(
    instance_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("service_instance", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    fields = INSTANCE.fields(request)
    return INSTANCE.show(await service.get_instance(uow, caller, instance_id), fields)


@router.put("/{instance_id}", response_model=ServiceInstanceResponse)
async def update_service_instance(
    instance_id: uuid.UUID,
    body: ServiceInstanceUpdateRequest,
    caller: Annotated[Caller, authorize("service_instance", "update")],
    uow: UowDep,
) -> ServiceInstanceResponse:
    row = await service.update_instance(uow, caller, instance_id, body.service_instance)
    return ServiceInstanceResponse(service_instance=INSTANCE.one(row))


@router.delete("/{instance_id}", status_code=204, response_class=Response)
async def delete_service_instance(
    instance_id: uuid.UUID,
    caller: Annotated[Caller, authorize("service_instance", "delete")],
    uow: UowDep,
) -> Response:
    await service.delete_instance(uow, caller, instance_id)
    return Response(status_code=204)
