"""Device templates: kept in the api's query model, owned by lifecycle (commands).

``create_template`` takes plain arguments (a unit of work, the caller and a create model),
so that other features (VNF packages) create templates without an HTTP request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import device_templates
from servicevm_api.caller import Caller
from servicevm_api.errors import bad_request, conflict
from servicevm_api.schemas.device_templates import DeviceTemplateCreate, DeviceTemplateUpdate
from servicevm_api.service_layer.access import Collection, ListQuery
from servicevm_api.service_layer.vims import get_vim
from shared import plugins
from shared.contracts import commands, monitoring
from shared.contracts.models import ServiceTypeRef
from shared.contracts.template_policy import InvalidPolicy, TemplatePolicy
from shared.db.uow import UnitOfWork

TEMPLATES = Collection("device_template", device_templates)


async def get_template(
    uow: UnitOfWork, caller: Caller, template_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await TEMPLATES.get(uow, caller, template_id, lock=lock)


async def list_templates(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await TEMPLATES.list(uow, caller, query)


def check_driver(group: str, attribute: str, name: str) -> None:
    available = plugins.available(group)
    if name not in available:
        raise bad_request(
            f"Invalid input for {attribute}: unknown driver '{name}'; available: {', '.join(available)}."
        )


def check_template(request: DeviceTemplateCreate) -> None:
    """400 for an unknown driver, duplicate service types or a bad policy attribute."""
    check_driver(plugins.DEVICE_DRIVERS, "device_driver", request.device_driver)
    check_driver(plugins.MGMT_DRIVERS, "mgmt_driver", request.mgmt_driver)
    if len(set(request.service_types)) != len(request.service_types):
        raise bad_request("Invalid input for service_types: duplicate service type names.")
    try:
        TemplatePolicy.from_attributes(request.attributes)
        monitoring.check(request.attributes)
    except (InvalidPolicy, monitoring.InvalidMonitoring) as exc:
        raise bad_request(f"Invalid input for attributes: {exc}.") from None


async def create_template(
    uow: UnitOfWork, caller: Caller, request: DeviceTemplateCreate
) -> Row[Any]:
    """Add the template (tenant: the request's, else the caller's) and order lifecycle to
    keep it; commits, and returns the new row."""
    template_id = await stage_template(uow, caller, request)
    await uow.commit()
    return await get_template(uow, caller, template_id)


async def stage_template(
    uow: UnitOfWork, caller: Caller, request: DeviceTemplateCreate
) -> uuid.UUID:
    """``create_template`` without the commit, for a caller adding several templates (and
    more) in one transaction, such as VNF package onboarding; returns the new id."""
    check_template(request)
    if request.vim_id is not None:
        # Shared lock: the VIM cannot be deleted while this template is being added.
        await get_vim(uow, caller, request.vim_id, lock="share")
    fields = request.model_dump(exclude={"tenant_id", "service_types"})
    command = commands.CreateDeviceTemplate(
        id=uuid.uuid4(),
        tenant_id=caller.tenant_for_new_resource(request.tenant_id),
        service_types=[
            ServiceTypeRef(id=uuid.uuid4(), service_type=name) for name in request.service_types
        ],
        **fields,
    )
    values = command.model_dump(mode="json")
    values.update(id=command.id, vim_id=command.vim_id)
    await repo.add_template(uow.conn, values=values)
    await uow.publish(command, tenant_id=command.tenant_id)
    return command.id


async def update_template(
    uow: UnitOfWork, caller: Caller, template_id: uuid.UUID, update: DeviceTemplateUpdate
) -> Row[Any]:
    row = await get_template(uow, caller, template_id, lock="update")
    changes = update.model_dump(exclude_none=True)
    if not changes:
        return row
    await repo.update_template(uow.conn, template_id=template_id, values=changes)
    command = commands.UpdateDeviceTemplate(
        id=template_id,
        name=changes.get("name", row.name),
        description=changes.get("description", row.description),
    )
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return await get_template(uow, caller, template_id)


async def delete_template(uow: UnitOfWork, caller: Caller, template_id: uuid.UUID) -> None:
    row = await get_template(uow, caller, template_id, lock="update")
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
