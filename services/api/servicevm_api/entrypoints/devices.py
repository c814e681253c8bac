"""/v1.0/devices: the query model answers reads; writes become lifecycle commands."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import devices
from servicevm_api.domain.rules import delete_refusal, update_refusal
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.device_templates import TEMPLATES
from servicevm_api.entrypoints.errors import conflict
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import (
    ERROR_RESPONSES,
    VISIBLE_ATTRIBUTES,
    DeviceCreateRequest,
    DeviceList,
    DevicePublic,
    DeviceResponse,
    DeviceUpdateRequest,
)
from servicevm_api.entrypoints.vims import VIMS
from shared.contracts import commands
from shared.contracts.models import DeviceStatus, ServiceContext

router = APIRouter(prefix="/v1.0/devices", tags=["devices"], responses=ERROR_RESPONSES)
VISIBLE = VISIBLE_ATTRIBUTES["device"]
FILTERABLE = {
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
}


def to_public(row: Row[Any]) -> DevicePublic:
    return DevicePublic(
        id=row.id,
        tenant_id=row.tenant_id,
        template_id=row.template_id,
        instance_id=row.instance_id,
        mgmt_address=row.mgmt_address,
        kwargs=row.kwargs,
        service_contexts=[ServiceContext(**context) for context in row.service_contexts],
        services=row.services,
        status=row.status,
        error_reason=row.error_reason,
        host=row.host,
        availability_zone=row.availability_zone,
        vim_id=row.vim_id,
    )


DEVICES = Resource("device", devices, FILTERABLE, to_public)


@router.post("", status_code=201, response_model=DeviceResponse)
async def create_device(
    body: DeviceCreateRequest, caller: Annotated[Caller, authorize("device", "create")], uow: UowDep
) -> DeviceResponse:
    request = body.device
    tenant_id = caller.tenant_for_new_resource(request.tenant_id)
    # Shared lock: the template cannot be deleted while this device is being added.
    template = await TEMPLATES.visible_row(uow, caller, request.template_id, lock="share")
    if request.vim_id is not None:
        await VIMS.visible_row(uow, caller, request.vim_id, lock="share")
    command = commands.CreateDevice(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        template_id=request.template_id,
        kwargs=request.kwargs,
        service_contexts=[context.to_contract() for context in request.service_contexts],
        vim_id=request.vim_id,
    )
    values = command.model_dump(mode="json")
    values.update(
        id=command.id,
        template_id=command.template_id,
        # Shown at once when known; lifecycle resolves the project's default VIM if needed.
        vim_id=command.vim_id or template.vim_id,
        status=DeviceStatus.PENDING_CREATE,
        revision=0,
    )
    await repo.add_device(uow.conn, values=values)
    await uow.publish(command, tenant_id=tenant_id)
    await uow.commit()
    return DeviceResponse(device=to_public(await DEVICES.visible_row(uow, caller, command.id)))


@router.get("", response_model=DeviceList)
async def list_devices(
    request: Request, caller: Annotated[Caller, authorize("device", "get_all")], uow: UowDep
) -> DeviceList:
    page, links = await DEVICES.list_page(uow, caller, request)
    return DeviceList(devices=page, devices_links=links)


@router.get("/{device_id}")
async def show_device(
    device_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("device", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await DEVICES.show(uow, caller, request, device_id)


@router.put("/{device_id}", response_model=DeviceResponse)
async def update_device(
    device_id: uuid.UUID,
    body: DeviceUpdateRequest,
    caller: Annotated[Caller, authorize("device", "update")],
    uow: UowDep,
) -> DeviceResponse:
    row = await DEVICES.visible_row(uow, caller, device_id, lock="update")
    refusal = update_refusal(row.status)
    if refusal is not None:
        raise conflict("DeviceInUse", f"Device {device_id} cannot be updated: {refusal}.")
    kwargs = body.device.kwargs
    await repo.set_device_fields(
        uow.conn,
        device_id=device_id,
        values={"kwargs": kwargs, "status": DeviceStatus.PENDING_UPDATE},
    )
    await uow.publish(commands.UpdateDevice(id=device_id, kwargs=kwargs), tenant_id=row.tenant_id)
    await uow.commit()
    return DeviceResponse(device=to_public(await DEVICES.visible_row(uow, caller, device_id)))


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
    row = await DEVICES.visible_row(uow, caller, device_id, lock="update")
    refusal = delete_refusal(row.status)
    if refusal is None and row.services and not force:
        refusal = (
            f"it hosts service instance(s) {', '.join(row.services)}; "
            "delete them first or use ?force=true"
        )
    if refusal is not None:
        raise conflict("DeviceInUse", f"Device {device_id} cannot be deleted: {refusal}.")
    await repo.set_device_fields(
        uow.conn, device_id=device_id, values={"status": DeviceStatus.PENDING_DELETE}
    )
    await uow.publish(commands.DeleteDevice(id=device_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
