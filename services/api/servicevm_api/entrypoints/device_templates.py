"""/v1.0/device_templates: translate requests into the query model and lifecycle commands."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import device_templates
from servicevm_api.entrypoints.deps import Caller, CallerDep, UowDep
from servicevm_api.entrypoints.errors import bad_request, conflict, not_found
from servicevm_api.entrypoints.listing import (
    next_links,
    parse_fields,
    parse_list_query,
    select_fields,
)
from servicevm_api.entrypoints.schemas import (
    VISIBLE_ATTRIBUTES,
    DeviceTemplateCreateRequest,
    DeviceTemplateList,
    DeviceTemplatePublic,
    DeviceTemplateResponse,
    DeviceTemplateUpdateRequest,
    ServiceTypePublic,
)
from shared import plugins
from shared.contracts import commands
from shared.contracts.models import ServiceTypeRef
from shared.db.uow import UnitOfWork

router = APIRouter(prefix="/v1.0/device_templates", tags=["device_templates"])
VISIBLE = VISIBLE_ATTRIBUTES["device_template"]
FILTERABLE = {
    "id": uuid.UUID,
    "tenant_id": str,
    "name": str,
    "description": str,
    "device_driver": str,
    "mgmt_driver": str,
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
    )


async def visible_template(
    uow: UnitOfWork, caller: Caller, template_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    """The template if the caller may see it; another project's is as good as absent (404)."""
    row = await repo.get_row(uow.conn, table=device_templates, row_id=template_id, lock=lock)
    if row is None or not caller.can_see(row.tenant_id):
        raise not_found("device_template", template_id)
    return row


def _check_driver(group: str, attribute: str, name: str) -> None:
    available = plugins.available(group)
    if name not in available:
        raise bad_request(
            f"Invalid input for {attribute}: unknown driver '{name}'; available: {', '.join(available)}."
        )


@router.post("", status_code=201, response_model=DeviceTemplateResponse)
async def create_device_template(
    body: DeviceTemplateCreateRequest, caller: CallerDep, uow: UowDep
) -> DeviceTemplateResponse:
    request = body.device_template
    _check_driver(plugins.DEVICE_DRIVERS, "device_driver", request.device_driver)
    _check_driver(plugins.MGMT_DRIVERS, "mgmt_driver", request.mgmt_driver)
    if len(set(request.service_types)) != len(request.service_types):
        raise bad_request("Invalid input for service_types: duplicate service type names.")
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
    )
    values = command.model_dump(mode="json")
    values["id"] = command.id
    await repo.add_template(uow.conn, values=values)
    await uow.publish(command, tenant_id=command.tenant_id)
    await uow.commit()
    row = await repo.get_row(uow.conn, table=device_templates, row_id=command.id)
    assert row is not None
    return DeviceTemplateResponse(device_template=to_public(row))


@router.get("", response_model=DeviceTemplateList, response_model_exclude_none=False)
async def list_device_templates(
    request: Request, caller: CallerDep, uow: UowDep
) -> DeviceTemplateList:
    query = parse_list_query(request, filterable=FILTERABLE, visible=VISIBLE)
    rows = await repo.list_rows(
        uow.conn,
        table=device_templates,
        tenant_id=None if caller.is_admin else caller.project_id,
        filters=query.filters,
        limit=query.limit,
        marker=query.marker,
    )
    page = [select_fields(to_public(row).model_dump(mode="json"), query.fields) for row in rows]
    return DeviceTemplateList(
        device_templates=page,
        device_templates_links=next_links(request, query, page, rows[-1].id if rows else None),
    )


@router.get("/{template_id}")
async def show_device_template(
    template_id: uuid.UUID, request: Request, caller: CallerDep, uow: UowDep
) -> dict[str, Any]:
    fields = parse_fields(request, visible=VISIBLE)
    row = await visible_template(uow, caller, template_id)
    return {"device_template": select_fields(to_public(row).model_dump(mode="json"), fields)}


@router.put("/{template_id}", response_model=DeviceTemplateResponse)
async def update_device_template(
    template_id: uuid.UUID, body: DeviceTemplateUpdateRequest, caller: CallerDep, uow: UowDep
) -> DeviceTemplateResponse:
    row = await visible_template(uow, caller, template_id, lock="update")
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
        row = await visible_template(uow, caller, template_id)
    return DeviceTemplateResponse(device_template=to_public(row))


@router.delete("/{template_id}", status_code=204, response_class=Response)
async def delete_device_template(
    template_id: uuid.UUID, caller: CallerDep, uow: UowDep
) -> Response:
    row = await visible_template(uow, caller, template_id, lock="update")
    users = await repo.devices_using_template(uow.conn, template_id=template_id)
    if users:
        raise conflict(
            "DeviceTemplateInUse",
            f"Device template {template_id} is still in use by device(s) {', '.join(map(str, users))}.",
        )
    await repo.delete_template(uow.conn, template_id=template_id)
    await uow.publish(commands.DeleteDeviceTemplate(id=template_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
