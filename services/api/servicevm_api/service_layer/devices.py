"""Devices: the query model answers reads; writes become lifecycle commands."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from sqlalchemy import Row, func

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.json_pages import JsonPage
from servicevm_api.adapters.orm import devices
from servicevm_api.caller import Caller
from servicevm_api.domain.rules import delete_refusal, update_refusal
from servicevm_api.errors import bad_request, conflict, not_found
from servicevm_api.schemas.devices import DeviceCreate, DevicePublic
from servicevm_api.service_layer.access import Collection, ListQuery
from servicevm_api.service_layer.device_templates import get_template
from servicevm_api.service_layer.vims import get_vim
from shared.contracts import commands, monitoring
from shared.contracts.models import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from shared.db.uow import UnitOfWork

DEVICES = Collection("device", devices)
# The columns a created device is answered with: its public model's.
_SHOWN = tuple(DevicePublic.model_fields)


async def get_device(
    uow: UnitOfWork, caller: Caller, device_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await DEVICES.get(uow, caller, device_id, lock=lock)


async def show_device(uow: UnitOfWork, caller: Caller, device_id: uuid.UUID) -> dict[str, Any]:
    """The device's public columns for a GET: one prepared SELECT, run before anything
    else in the unit of work and so outside any transaction (no BEGIN, no ROLLBACK; a lone
    SELECT reads one snapshot on its own). Another project's device is as good as absent."""
    driver = await uow.driver_outside_transaction()
    row = await repo.device_columns(driver, device_id, _SHOWN)
    if row is None or not caller.can_see(row["tenant_id"]):
        raise not_found("device", device_id)
    return row


async def list_devices(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await DEVICES.list(uow, caller, query)


async def list_devices_json(uow: UnitOfWork, caller: Caller, query: ListQuery) -> JsonPage:
    return await DEVICES.list_json(uow, caller, query, DevicePublic)


async def create_device(uow: UnitOfWork, caller: Caller, request: DeviceCreate) -> dict[str, Any]:
    """The new row, PENDING_CREATE, its CreateDevice command in the outbox: one statement
    (``repository.create_device``) that checks and locks the template (and the VIM named),
    so the whole request is one round trip to PostgreSQL once the template is known."""
    tenant_id = caller.tenant_for_new_resource(request.tenant_id)
    _check_monitoring(request.kwargs)
    command = commands.CreateDevice(
        id=uuid.uuid4(), tenant_id=tenant_id, **request.model_dump(exclude={"tenant_id"})
    )
    driver = await uow.driver_outside_transaction()
    slot_capacity = await _slot_capacity(driver, command.template_id)
    if slot_capacity is not None:
        await uow.publish(command, tenant_id=tenant_id)
        created = await repo.create_device(
            driver,
            command=command,
            # Known from the template at once (the topology showed null until a placement).
            slot_capacity=slot_capacity,
            visible_to=None if caller.is_admin else caller.project_id,
            outbox_rows=uow.take_outbox(),
            shown=_SHOWN,
        )
        if created is not None:
            return created
    # Nothing was written: the template (or the VIM) is not one the caller sees.
    await get_template(uow, caller, command.template_id)
    if command.vim_id is not None:
        await get_vim(uow, caller, command.vim_id)
    raise not_found("device_template", command.template_id)  # deleted meanwhile


# Each template's slot capacity, from its attributes, which never change (an update
# changes only its name and description): read once per template and process.
_SLOT_CAPACITIES: dict[uuid.UUID, int] = {}
_SLOT_CAPACITIES_KEPT = 10_000


async def _slot_capacity(driver: asyncpg.Connection, template_id: uuid.UUID) -> int | None:
    """None: no such template."""
    known = _SLOT_CAPACITIES.get(template_id)
    if known is not None:
        return known
    attributes = await repo.template_attributes(driver, template_id)
    if attributes is None:
        return None
    if len(_SLOT_CAPACITIES) >= _SLOT_CAPACITIES_KEPT:
        _SLOT_CAPACITIES.clear()
    capacity = _SLOT_CAPACITIES[template_id] = TemplatePolicy.lenient(attributes).slot_capacity
    return capacity


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
