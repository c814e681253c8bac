"""/v1.0/devices: parse, authorize, call the service layer, render."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.schemas.devices import (
    DeviceCreateRequest,
    DeviceList,
    DevicePublic,
    DeviceResponse,
    DeviceShow,
    DeviceUpdateRequest,
)
from servicevm_api.service_layer import devices as service

router = APIRouter(prefix="/v1.0/devices", tags=["devices"], responses=ERROR_RESPONSES)
DEVICE = Rendering(
    "device",
    DevicePublic,
    {
        "id": uuid.UUID,
        "tenant_id": str,
        "template_id": uuid.UUID,
        "instance_id": str,
        "mgmt_address": str,
        "status": str,
        "error_reason": str,
        "host": str,
        "availability_zone": str,
        "vim_id": uuid.UUID,
    },
)


@router.post("", status_code=201, response_model=DeviceResponse)
async def create_device(
    body: DeviceCreateRequest, caller: Annotated[Caller, authorize("device", "create")], uow: UowDep
) -> DeviceResponse:
    return DeviceResponse(device=DEVICE.one(await service.create_device(uow, caller, body.device)))


@router.get("", response_model=DeviceList, response_model_exclude_unset=True)
async def list_devices(
    request: Request, caller: Annotated[Caller, authorize("device", "get_all")], uow: UowDep
) -> Response:
    query = DEVICE.list_query(request)
    if query.fields is None:
        page = await service.list_devices_json(uow, caller, query)
        return DEVICE.json_list_response(request, query, page, key="devices")
    rows = await service.list_devices(uow, caller, query)
    return DEVICE.list_response(request, query, rows, key="devices")


@router.get("/{device_id}", response_model=DeviceShow, response_model_exclude_unset=True)
async def show_device(
    device_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("device", "get")],
    uow: UowDep,
) -> dict[str, Any] | Response:
    fields = DEVICE.fields(request)
    row = await service.show_device(uow, caller, device_id)
    return DEVICE.show_response(row) if fields is None else DEVICE.show(row, fields)


@router.put("/{device_id}", response_model=DeviceResponse)
async def update_device(
    device_id: uuid.UUID,
    body: DeviceUpdateRequest,
    caller: Annotated[Caller, authorize("device", "update")],
    uow: UowDep,
) -> DeviceResponse:
    row = await service.update_device(uow, caller, device_id, body.device.kwargs)
    return DeviceResponse(device=DEVICE.one(row))


@router.delete("/{device_id}", status_code=204, response_class=Response)
async def delete_device(
    device_id: uuid.UUID,
    caller: Annotated[Caller, authorize("device", "delete")],
    uow: UowDep,
    force: Annotated[
        bool,
        Query(
            description="Delete even if it hosts service instances: they are rescheduled when "
            "the template says reschedule_on_device_loss=true, else they go to ERROR."
        ),
    ] = False,
) -> Response:
    await service.delete_device(uow, caller, device_id, force=force)
    return Response(status_code=204)
