"""Devices: the query model answers reads; writes become lifecycle commands."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, func

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.json_pages import JsonPage
from servicevm_api.adapters.orm import devices
from servicevm_api.caller import Caller
from servicevm_api.domain.rules import delete_refusal, update_refusal
from servicevm_api.errors import bad_request, conflict
from servicevm_api.schemas.devices import DeviceCreate, DevicePublic
from servicevm_api.service_layer.access import Collection, ListQuery
from servicevm_api.service_layer.device_templates import get_template
from servicevm_api.service_layer.vims import get_vim
from shared.contracts import commands, monitoring
from shared.contracts.models import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from shared.db.uow import UnitOfWork

DEVICES = Collection("device", devices)


async def get_device(
    uow: UnitOfWork, caller: Caller, device_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await DEVICES.get(uow, caller, device_id, lock=lock)


async def list_devices(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await DEVICES.list(uow, caller, query)


async def list_devices_json(uow: UnitOfWork, caller: Caller, query: ListQuery) -> JsonPage:
    return await DEVICES.list_json(uow, caller, query, DevicePublic)


async def create_device(uow: UnitOfWork, caller: Caller, request: DeviceCreate) -> Row[Any]:
    tenant_id = caller.tenant_for_new_resource(request.tenant_id)
    _check_monitoring(request.kwargs)
    # Shared lock: the template cannot be deleted while this device is being added.
    template = await get_template(uow, caller, request.template_id, lock="share")
    if request.vim_id is not None:
        await get_vim(uow, caller, request.vim_id, lock="share")
    command = commands.CreateDevice(
        id=uuid.uuid4(), tenant_id=tenant_id, **request.model_dump(exclude={"tenant_id"})
    )
    values = command.model_dump(mode="json")
    values.update(
        id=command.id,
        template_id=command.template_id,
        # Shown at once when known; lifecycle resolves the project's default VIM if needed.
        vim_id=command.vim_id or template.vim_id,
        status=DeviceStatus.PENDING_CREATE,
        pending_since=func.now(),
        revision=0,
        # Known from the template at once (the topology showed null until a placement).
        slot_capacity=TemplatePolicy.lenient(template.attributes).slot_capacity,
    )
    await repo.add_device(uow.conn, values=values)
    await uow.publish(command, tenant_id=tenant_id)
    # Read back in the same transaction (the row as committed, with its defaults): a read
    # after the commit would cost a transaction of its own.
    created = await get_device(uow, caller, command.id)
    await uow.commit()
    return created


async def update_device(
    uow: UnitOfWork, caller: Caller, device_id: uuid.UUID, kwargs: dict[str, Any]
) -> Row[Any]:
    _check_monitoring(kwargs)
    row = await get_device(uow, caller, device_id, lock="update")
    refusal = update_refusal(row.status)
    if refusal is not None:
        raise conflict("DeviceInUse", f"Device {device_id} cannot be updated: {refusal}.")
    await repo.set_device_fields(
        uow.conn,
        device_id=device_id,
        values={
            "kwargs": kwargs,
            "status": DeviceStatus.PENDING_UPDATE,
            "pending_since": func.now(),
        },
    )
    await uow.publish(commands.UpdateDevice(id=device_id, kwargs=kwargs), tenant_id=row.tenant_id)
    updated = await get_device(uow, caller, device_id)
    await uow.commit()
    return updated


async def delete_device(
    uow: UnitOfWork, caller: Caller, device_id: uuid.UUID, *, force: bool = False
) -> None:
    """force: even if it hosts service instances (rescheduled or failed, as the template says)."""
    row = await get_device(uow, caller, device_id, lock="update")
    refusal = delete_refusal(row.status)
    if refusal is None and row.services and not force:
        refusal = (
            f"it hosts service instance(s) {', '.join(row.services)}; "
            "delete them first or use ?force=true"
        )
    if refusal is not None:
        raise conflict("DeviceInUse", f"Device {device_id} cannot be deleted: {refusal}.")
    await repo.set_device_fields(
        uow.conn,
        device_id=device_id,
        values={"status": DeviceStatus.PENDING_DELETE, "pending_since": func.now()},
    )
    await uow.publish(commands.DeleteDevice(id=device_id), tenant_id=row.tenant_id)
    await uow.commit()


def _check_monitoring(kwargs: dict[str, Any]) -> None:
    """A device may override its template's monitoring policy: validated the same way."""
    try:
        monitoring.check({}, kwargs)
    except monitoring.InvalidMonitoring as exc:
        raise bad_request(f"Invalid input for kwargs: {exc}.") from None
