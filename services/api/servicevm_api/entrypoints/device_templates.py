"""/v1.0/device_templates: translate requests into the query model and lifecycle commands."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import device_templates
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import bad_request, conflict
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import (
    ERROR_RESPONSES,
    VISIBLE_ATTRIBUTES,
    DeviceTemplateCreateRequest,
    DeviceTemplateList,
    DeviceTemplatePublic,
    DeviceTemplateResponse,
    DeviceTemplateUpdateRequest,
    ServiceTypePublic,
)
from servicevm_api.entrypoints.vims import VIMS
from shared import plugins
from shared.contracts import commands
from shared.contracts.models import ServiceTypeRef
from shared.contracts.template_policy import InvalidPolicy, TemplatePolicy

router = APIRouter(
    prefix="/v1.0/device_templates", tags=["device_templates"], responses=ERROR_RESPONSES
)
VISIBLE = VISIBLE_ATTRIBUTES["device_template"]
FILTERABLE = {
    "id": uuid.UUID,
    "tenant_id": str,
    "name": str,
    "description": str,
    "device_driver": str,
    "mgmt_driver": str,
    "vim_id": uuid.UUID,
}


def to_public(row: Row[Any]) -> DeviceTemplatePublic:
    return DeviceTemplatePublic(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        service_types=[ServiceTypePublic(**ref) for ref in row.service_types],
        device_driver=row.device_driver,
        mgmt_driver=row.mgmt_driver,
        attributes=row.attributes,
        vim_id=row.vim_id,
    )


TEMPLATES = Resource("device_template", device_templates, FILTERABLE, to_public)


def check_driver(group: str, attribute: str, name: str) -> None:
    available = plugins.available(group)
    if name not in available:
        raise bad_request(
            f"Invalid input for {attribute}: unknown driver '{name}'; available: {', '.join(available)}."
        )


@router.post("", status_code=201, response_model=DeviceTemplateResponse)
async def create_device_template(
    body: DeviceTemplateCreateRequest,
    caller: Annotated[Caller, authorize("device_template", "create")],
    uow: UowDep,
) -> DeviceTemplateResponse:
    request = body.device_template
    check_driver(plugins.DEVICE_DRIVERS, "device_driver", request.device_driver)
    check_driver(plugins.MGMT_DRIVERS, "mgmt_driver", request.mgmt_driver)
    if len(set(request.service_types)) != len(request.service_types):
        raise bad_request("Invalid input for service_types: duplicate service type names.")
    try:
        TemplatePolicy.from_attributes(request.attributes)
    except InvalidPolicy as exc:
        raise bad_request(f"Invalid input for attributes: {exc}.") from None
    if request.vim_id is not None:
        # Shared lock: the VIM cannot be deleted while this template is being added.
        await VIMS.visible_row(uow, caller, request.vim_id, lock="share")
    command = commands.CreateDeviceTemplate(
        id=uuid.uuid4(),
        tenant_id=caller.tenant_for_new_resource(request.tenant_id),
        name=request.name,
        description=request.description,
        device_driver=request.device_driver,
        mgmt_driver=request.mgmt_driver,
        service_types=[
            ServiceTypeRef(id=uuid.uuid4(), service_type=name) for name in request.service_types
        ],
        attributes=request.attributes,
        vim_id=request.vim_id,
    )
    values = command.model_dump(mode="json")
    values.update(id=command.id, vim_id=command.vim_id)
    await repo.add_template(uow.conn, values=values)
    await uow.publish(command, tenant_id=command.tenant_id)
    await uow.commit()
    row = await TEMPLATES.visible_row(uow, caller, command.id)
    return DeviceTemplateResponse(device_template=to_public(row))


@router.get("", response_model=DeviceTemplateList)
async def list_device_templates(
    request: Request,
    caller: Annotated[Caller, authorize("device_template", "get_all")],
    uow: UowDep,
) -> DeviceTemplateList:
    page, links = await TEMPLATES.list_page(uow, caller, request)
    return DeviceTemplateList(device_templates=page, device_templates_links=links)


@router.get("/{template_id}")
async def show_device_template(
    template_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("device_template", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await TEMPLATES.show(uow, caller, request, template_id)


@router.put("/{template_id}", response_model=DeviceTemplateResponse)
async def update_device_template(
    template_id: uuid.UUID,
    body: DeviceTemplateUpdateRequest,
    caller: Annotated[Caller, authorize("device_template", "update")],
    uow: UowDep,
) -> DeviceTemplateResponse:
    row = await TEMPLATES.visible_row(uow, caller, template_id, lock="update")
    changes = body.device_template.model_dump(exclude_none=True)
    if changes:
        await repo.update_template(uow.conn, template_id=template_id, values=changes)
        command = commands.UpdateDeviceTemplate(
            id=template_id,
            name=changes.get("name", row.name),
            description=changes.get("description", row.description),
        )
        await uow.publish(command, tenant_id=row.tenant_id)
        await uow.commit()
        row = await TEMPLATES.visible_row(uow, caller, template_id)
    return DeviceTemplateResponse(device_template=to_public(row))


@router.delete("/{template_id}", status_code=204, response_class=Response)
async def delete_device_template(
    template_id: uuid.UUID,
    caller: Annotated[Caller, authorize("device_template", "delete")],
    uow: UowDep,
) -> Response:
    row = await TEMPLATES.visible_row(uow, caller, template_id, lock="update")
    users = await repo.devices_using_template(uow.conn, template_id=template_id)
    users += await repo.instances_using_template(uow.conn, template_id=template_id)
    if users:
        raise conflict(
            "DeviceTemplateInUse",
            f"Device template {template_id} is still in use by device(s) or service instance(s) {', '.join(map(str, users))}.",
        )
    await repo.delete_template(uow.conn, template_id=template_id)
    await uow.publish(commands.DeleteDeviceTemplate(id=template_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
