"""Service instances: logical services the scheduler places onto device slots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, func

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import service_instances
from servicevm_api.caller import Caller
from servicevm_api.domain.rules import instance_delete_refusal, instance_update_refusal
from servicevm_api.errors import bad_request, conflict, not_found
from servicevm_api.schemas.service_instances import (
    ServiceInstanceCreate,
    ServiceInstancePublic,
    ServiceInstanceUpdate,
)
from servicevm_api.service_layer.access import Collection, ListQuery
from servicevm_api.service_layer.device_templates import check_driver
from servicevm_api.service_layer.service_types import get_service_type
from shared import plugins
from shared.contracts import commands
from shared.contracts.models import ServiceInstanceStatus
from shared.db.uow import UnitOfWork

INSTANCES = Collection("service_instance", service_instances)
# The columns a POST answers with.
_SHOWN = tuple(ServiceInstancePublic.model_fields)


async def get_instance(
    uow: UnitOfWork, caller: Caller, instance_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await INSTANCES.get(uow, caller, instance_id, lock=lock)


async def list_instances(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await INSTANCES.list(uow, caller, query)


def _check(request: ServiceInstanceCreate) -> None:
    if request.mgmt_driver is not None:
        check_driver(plugins.MGMT_DRIVERS, "mgmt_driver", request.mgmt_driver)
    if "ha" in request.kwargs and not isinstance(request.kwargs["ha"], bool):
        raise bad_request("Invalid input for kwargs.ha: must be true or false.")
    if len(set(request.devices)) != len(request.devices):
        raise bad_request("Invalid input for devices: duplicate device ids.")


async def create_instance(
    uow: UnitOfWork, caller: Caller, request: ServiceInstanceCreate
) -> Mapping[str, Any]:
    """The new row, PENDING_CREATE, its CreateServiceInstance command in the outbox: one
    statement (``repository.add_service_instance_at_once``) that checks the service type
    and the devices asked for and locks the template offering it (shared: the template
    cannot be deleted between its in-use check and this instance's commit)."""
    tenant_id = caller.tenant_for_new_resource(request.tenant_id)
    _check(request)
    command = commands.CreateServiceInstance(
        id=uuid.uuid4(), tenant_id=tenant_id, **request.model_dump(exclude={"tenant_id"})
    )
    await uow.publish(command, tenant_id=tenant_id)
    created = await repo.add_service_instance_at_once(
        await uow.driver_outside_transaction(),
        values=command.model_dump(),
        devices_asked=command.devices,
        outbox_rows=uow.take_outbox(),
        shown=_SHOWN,
    )
    if created is not None:
        return created
    # Nothing was written: say what is missing.
    await get_service_type(uow, caller, command.service_type_id)
    known = await repo.existing_devices(uow.conn, device_ids=command.devices)
    for device_id in command.devices:
        if device_id not in known:
            raise not_found("device", device_id)
    raise not_found("service_type", command.service_type_id)  # its template went meanwhile


async def update_instance(
    uow: UnitOfWork, caller: Caller, instance_id: uuid.UUID, changes: ServiceInstanceUpdate
) -> Row[Any]:
    row = await get_instance(uow, caller, instance_id, lock="update")
    refusal = instance_update_refusal(row.status, managed_by_user=row.managed_by_user)
    if refusal is not None:
        raise conflict("ServiceInstanceInUse", f"Service instance {instance_id} {refusal}.")
    name = row.name if changes.name is None else changes.name
    kwargs = row.kwargs if changes.kwargs is None else changes.kwargs
    if (kwargs.get("ha") is True) != (row.kwargs.get("ha") is True):
        raise bad_request("Invalid input for kwargs.ha: it is fixed when the instance is created.")
    await repo.set_service_instance_fields(
        uow.conn,
        instance_id=instance_id,
        values={
            "name": name,
            "kwargs": kwargs,
            "status": ServiceInstanceStatus.PENDING_UPDATE,
            "pending_since": func.now(),
        },
    )
    command = commands.UpdateServiceInstance(id=instance_id, name=name, kwargs=kwargs)
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return await get_instance(uow, caller, instance_id)


async def delete_instance(uow: UnitOfWork, caller: Caller, instance_id: uuid.UUID) -> None:
    row = await get_instance(uow, caller, instance_id, lock="update")
    refusal = instance_delete_refusal(row.status, placed=bool(row.devices))
    if refusal is not None:
        raise conflict(
            "ServiceInstanceInUse", f"Service instance {instance_id} cannot be deleted: {refusal}."
        )
    await repo.set_service_instance_fields(
        uow.conn,
        instance_id=instance_id,
        values={"status": ServiceInstanceStatus.PENDING_DELETE, "pending_since": func.now()},
    )
    await uow.publish(commands.DeleteServiceInstance(id=instance_id), tenant_id=row.tenant_id)
    await uow.commit()
