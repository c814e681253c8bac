"""/v1.0/service_instances: logical services the scheduler places onto device slots."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import device_templates, service_instances
from servicevm_api.domain.rules import instance_delete_refusal, instance_update_refusal
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.device_templates import check_driver
from servicevm_api.entrypoints.errors import bad_request, conflict, not_found
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import (
    ERROR_RESPONSES,
    ServiceInstanceCreateRequest,
    ServiceInstanceList,
    ServiceInstancePublic,
    ServiceInstanceResponse,
    ServiceInstanceUpdateRequest,
)
from servicevm_api.entrypoints.service_types import SERVICE_TYPES
from shared import plugins
from shared.contracts import commands
from shared.contracts.models import DeviceStatus, ServiceContext

router = APIRouter(
    prefix="/v1.0/service_instances", tags=["service_instances"], responses=ERROR_RESPONSES
)
FILTERABLE = {
    "id": uuid.UUID,
    "tenant_id": str,
    "name": str,
    "service_type_id": uuid.UUID,
    "service_table_id": str,
    "mgmt_driver": str,
    "mgmt_address": str,
    "status": str,
    "error_reason": str,
}


def to_public(row: Row[Any]) -> ServiceInstancePublic:
    return ServiceInstancePublic(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        service_type_id=row.service_type_id,
        service_table_id=row.service_table_id,
        mgmt_driver=row.mgmt_driver,
        mgmt_address=row.mgmt_address,
        service_contexts=[ServiceContext(**context) for context in row.service_contexts],
        devices=row.devices,
        kwargs=row.kwargs,
        managed_by_user=row.managed_by_user,
        status=row.status,
        error_reason=row.error_reason,
    )


INSTANCES = Resource("service_instance", service_instances, FILTERABLE, to_public)


@router.post("", status_code=201, response_model=ServiceInstanceResponse)
async def create_service_instance(
    body: ServiceInstanceCreateRequest,
    caller: Annotated[Caller, authorize("service_instance", "create")],
    uow: UowDep,
) -> ServiceInstanceResponse:
    request = body.service_instance
    tenant_id = caller.tenant_for_new_resource(request.tenant_id)
    if request.mgmt_driver is not None:
        check_driver(plugins.MGMT_DRIVERS, "mgmt_driver", request.mgmt_driver)
    if "ha" in request.kwargs and not isinstance(request.kwargs["ha"], bool):
        raise bad_request("Invalid input for kwargs.ha: must be true or false.")
    if len(set(request.devices)) != len(request.devices):
        raise bad_request("Invalid input for devices: duplicate device ids.")
    service_type = await SERVICE_TYPES.visible_row(uow, caller, request.service_type_id)
    # Shared lock on the template offering it (the row its DELETE locks), so the template
    # cannot be deleted between its in-use check and this instance's commit.
    await repo.get_row(
        uow.conn, table=device_templates, row_id=service_type.template_id, lock="share"
    )
    known = await repo.existing_devices(uow.conn, device_ids=request.devices)
    for device_id in request.devices:
        if device_id not in known:
            raise not_found("device", device_id)
    command = commands.CreateServiceInstance(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=request.name,
        service_type_id=request.service_type_id,
        service_table_id=request.service_table_id,
        mgmt_driver=request.mgmt_driver,
        mgmt_address=request.mgmt_address,
        service_contexts=[context.to_contract() for context in request.service_contexts],
        devices=request.devices,
        kwargs=request.kwargs,
        managed_by_user=request.managed_by_user,
    )
    values = command.model_dump(mode="json")
    values.update(
        id=command.id,
        service_type_id=command.service_type_id,
        devices=[],
        status=DeviceStatus.PENDING_CREATE,
        revision=0,
    )
    await repo.add_service_instance(uow.conn, values=values)
    await uow.publish(command, tenant_id=tenant_id)
    await uow.commit()
    row = await INSTANCES.visible_row(uow, caller, command.id)
    return ServiceInstanceResponse(service_instance=to_public(row))


@router.get("", response_model=ServiceInstanceList)
async def list_service_instances(
    request: Request,
    caller: Annotated[Caller, authorize("service_instance", "get_all")],
    uow: UowDep,
) -> ServiceInstanceList:
    page, links = await INSTANCES.list_page(uow, caller, request)
    return ServiceInstanceList(service_instances=page, service_instances_links=links)


@router.get("/{instance_id}")
async def show_service_instance(
    instance_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("service_instance", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await INSTANCES.show(uow, caller, request, instance_id)


@router.put("/{instance_id}", response_model=ServiceInstanceResponse)
async def update_service_instance(
    instance_id: uuid.UUID,
    body: ServiceInstanceUpdateRequest,
    caller: Annotated[Caller, authorize("service_instance", "update")],
    uow: UowDep,
) -> ServiceInstanceResponse:
    row = await INSTANCES.visible_row(uow, caller, instance_id, lock="update")
    refusal = instance_update_refusal(row.status, managed_by_user=row.managed_by_user)
    if refusal is not None:
        raise conflict("ServiceInstanceInUse", f"Service instance {instance_id} {refusal}.")
    changes = body.service_instance
    name = row.name if changes.name is None else changes.name
    kwargs = row.kwargs if changes.kwargs is None else changes.kwargs
    if (kwargs.get("ha") is True) != (row.kwargs.get("ha") is True):
        raise bad_request("Invalid input for kwargs.ha: it is fixed when the instance is created.")
    await repo.set_service_instance_fields(
        uow.conn,
        instance_id=instance_id,
        values={"name": name, "kwargs": kwargs, "status": DeviceStatus.PENDING_UPDATE},
    )
    command = commands.UpdateServiceInstance(id=instance_id, name=name, kwargs=kwargs)
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    row = await INSTANCES.visible_row(uow, caller, instance_id)
    return ServiceInstanceResponse(service_instance=to_public(row))


@router.delete("/{instance_id}", status_code=204, response_class=Response)
async def delete_service_instance(
    instance_id: uuid.UUID,
    caller: Annotated[Caller, authorize("service_instance", "delete")],
    uow: UowDep,
) -> Response:
    row = await INSTANCES.visible_row(uow, caller, instance_id, lock="update")
    refusal = instance_delete_refusal(row.status, placed=bool(row.devices))
    if refusal is not None:
        raise conflict(
            "ServiceInstanceInUse", f"Service instance {instance_id} cannot be deleted: {refusal}."
        )
    await repo.set_service_instance_fields(
        uow.conn, instance_id=instance_id, values={"status": DeviceStatus.PENDING_DELETE}
    )
    await uow.publish(commands.DeleteServiceInstance(id=instance_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
