"""Reading and writing the scheduler's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import (
    bindings,
    devices,
    service_instances,
    service_types,
    templates,
)
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.pool import PoolState
from shared.contracts.models import (
    DeviceSnapshot,
    DeviceStatus,
    DeviceTemplateSnapshot,
    ServiceContext,
)
from shared.contracts.template_policy import TemplatePolicy

S = DeviceStatus

# --- templates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    id: uuid.UUID
    tenant_id: str
    policy: TemplatePolicy


async def upsert_template(conn: AsyncConnection, *, template: DeviceTemplateSnapshot) -> None:
    policy = TemplatePolicy.lenient(template.attributes)
    values = {
        "tenant_id": template.tenant_id,
        "service_types": [ref.model_dump(mode="json") for ref in template.service_types],
        "attributes": template.attributes,
        "slot_capacity": policy.slot_capacity,
    }
    await conn.execute(
        pg_insert(templates)
        .values(id=template.id, **values)
        .on_conflict_do_update(index_elements=[templates.c.id], set_=values)
    )
    await conn.execute(delete(service_types).where(service_types.c.template_id == template.id))
    if template.service_types:
        await conn.execute(
            insert(service_types),
            [
                {"id": ref.id, "template_id": template.id, "service_type": ref.service_type}
                for ref in template.service_types
            ],
        )


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(templates).where(templates.c.id == template_id))


async def get_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> Template | None:
    # Templates change rarely; read at every placement, they are a primary-key lookup.
    row = (await conn.execute(select(templates).where(templates.c.id == template_id))).first()
    if row is None:
        return None
    return Template(row.id, row.tenant_id, TemplatePolicy.lenient(row.attributes))


async def service_type(
    conn: AsyncConnection, *, service_type_id: uuid.UUID
) -> tuple[uuid.UUID, str] | None:
    """(template id, service type name) of a service type id, if the template is known."""
    row = (
        await conn.execute(
            select(service_types.c.template_id, service_types.c.service_type).where(
                service_types.c.id == service_type_id
            )
        )
    ).first()
    return (row.template_id, row.service_type) if row is not None else None


async def template_offers(
    conn: AsyncConnection, *, template_id: uuid.UUID, service_type: str
) -> bool:
    found = await conn.scalar(
        select(service_types.c.id).where(
            service_types.c.template_id == template_id,
            service_types.c.service_type == service_type,
        )
    )
    return found is not None


async def templates_with_pools(conn: AsyncConnection) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(templates.c.id).where(templates.c.attributes.has_key("max_devices"))
    )
    return list(rows.scalars())


async def lock_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    """Serialize placement decisions per template for the rest of the transaction, so
    "the best device" and "room to grow" are decided on a state no one else is changing."""
    await conn.execute(select(func.pg_advisory_xact_lock(_template_key(template_id))))


async def try_lock_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> bool:
    """The template's lock if no one else holds it (or this transaction already does)."""
    key = _template_key(template_id)
    return bool(await conn.scalar(select(func.pg_try_advisory_xact_lock(key))))


async def lock_service_type(conn: AsyncConnection, *, service_type_id: uuid.UUID) -> None:
    """Serialize "is this service type known?" with the arrival of its template: an instance
    that finds it unknown is committed as waiting before the template's handler looks for
    waiting instances, or sees the template's rows once that handler has committed."""
    key = func.hashtextextended(f"service_type:{service_type_id}", 0)
    await conn.execute(select(func.pg_advisory_xact_lock(key)))


def _template_key(template_id: uuid.UUID) -> Any:
    return func.hashtextextended(str(template_id), 0)


# --- devices -----------------------------------------------------------------------------


async def apply_device(conn: AsyncConnection, *, device: DeviceSnapshot) -> str | None:
    """Take the snapshot unless a newer one is held; the status it replaced, or None if the
    snapshot was stale. Only a device's first announcement (PENDING_CREATE) adds it: any
    other unknown device was deleted, and a late snapshot must not bring it back."""
    previous = await conn.scalar(
        select(devices.c.status).where(devices.c.id == device.id).with_for_update()
    )
    values = {
        "tenant_id": device.tenant_id,
        "template_id": device.template_id,
        "status": device.status,
        "host": device.host,
        "availability_zone": device.availability_zone,
        "revision": device.revision,
        "updated_at": func.now(),
    }
    if previous is None:
        if device.status != S.PENDING_CREATE:
            return None
        capacity = await conn.scalar(
            select(templates.c.slot_capacity).where(templates.c.id == device.template_id)
        )
        await conn.execute(
            pg_insert(devices)
            .values(
                id=device.id, slot_capacity=capacity or TemplatePolicy().slot_capacity, **values
            )
            .on_conflict_do_nothing()
        )
        return ""
    result = await conn.execute(
        update(devices)
        .where(devices.c.id == device.id, devices.c.revision < device.revision)
        .values(**values)
    )
    return previous if result.rowcount == 1 else None


async def add_pool_device(
    conn: AsyncConnection,
    *,
    device_id: uuid.UUID,
    tenant_id: str,
    template_id: uuid.UUID,
    slot_capacity: int,
) -> None:
    """Record a device the scheduler asked for, so it counts as coming before lifecycle
    announces it (revision 0: lifecycle's first snapshot replaces it)."""
    await conn.execute(
        insert(devices).values(
            id=device_id,
            tenant_id=tenant_id,
            template_id=template_id,
            status=S.PENDING_CREATE,
            slot_capacity=slot_capacity,
            pool_managed=True,
            revision=0,
        )
    )


async def get_device(
    conn: AsyncConnection, *, device_id: uuid.UUID, for_update: bool = False
) -> Row[Any] | None:
    query = select(devices).where(devices.c.id == device_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def mark_device_releasing(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(
        update(devices).where(devices.c.id == device_id).values(status=S.PENDING_DELETE)
    )


async def remove_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def pick_device(
    conn: AsyncConnection,
    *,
    template_id: uuid.UUID,
    slots: int,
    tenant_id: str,
    policy: TemplatePolicy,
    exclude_devices: list[uuid.UUID],
    exclude_hosts: list[str] | None = None,
    skip_locked: bool = False,
) -> Row[Any] | None:
    """The best ACTIVE device with room, fullest first (pack) or emptiest first (spread),
    locked for this transaction. ``skip_locked`` passes over devices other placements hold
    (fast, but may miss room); otherwise it waits for them and re-checks their room.
    ``exclude_hosts`` (anti-affinity) also excludes devices whose host is unknown."""
    free = devices.c.slot_capacity - devices.c.slots_used
    query = select(devices).where(
        devices.c.template_id == template_id,
        devices.c.status == S.ACTIVE,
        free >= slots,
    )
    if policy.tenant_bound:
        query = query.where(
            or_(devices.c.bound_tenant.is_(None), devices.c.bound_tenant == tenant_id)
        )
    if exclude_devices:
        query = query.where(devices.c.id.not_in(exclude_devices))
    if exclude_hosts is not None:
        query = query.where(devices.c.host.is_not(None))
        if exclude_hosts:
            query = query.where(devices.c.host.not_in(exclude_hosts))
    order = free.asc() if policy.placement == "pack" else free.desc()
    query = query.order_by(order, devices.c.id).limit(1)
    row: Row[Any] | None = (
        await conn.execute(query.with_for_update(skip_locked=skip_locked))
    ).first()
    return row


async def reserve(
    conn: AsyncConnection, *, device_id: uuid.UUID, slots: int, bind_tenant: str | None
) -> Row[Any] | None:
    """Take slots on a device if it still has them (None if not); the table's check
    constraint refuses any overbooking even if this condition were wrong."""
    values: dict[str, Any] = {
        "slots_used": devices.c.slots_used + slots,
        "capacity_revision": devices.c.capacity_revision + 1,
        "idle_since": None,
    }
    if bind_tenant is not None:
        values["bound_tenant"] = bind_tenant
    result = await conn.execute(
        update(devices)
        .where(devices.c.id == device_id, devices.c.slots_used + slots <= devices.c.slot_capacity)
        .values(**values)
        .returning(devices)
    )
    row: Row[Any] | None = result.first()
    return row


async def release(conn: AsyncConnection, *, device_id: uuid.UUID, slots: int) -> Row[Any] | None:
    """Give slots back; an empty device becomes idle and free for any project again."""
    now_empty = devices.c.slots_used - slots <= 0
    result = await conn.execute(
        update(devices)
        .where(devices.c.id == device_id)
        .values(
            slots_used=func.greatest(devices.c.slots_used - slots, 0),
            capacity_revision=devices.c.capacity_revision + 1,
            idle_since=case((now_empty, func.now()), else_=None),
            bound_tenant=case((now_empty, None), else_=devices.c.bound_tenant),
        )
        .returning(devices)
    )
    row: Row[Any] | None = result.first()
    return row


async def device_services(conn: AsyncConnection, *, device_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(bindings.c.service_instance_id)
        .where(bindings.c.device_id == device_id)
        .order_by(bindings.c.service_instance_id)
    )
    return list(rows.scalars())


async def pool_state(
    conn: AsyncConnection, *, template_id: uuid.UUID, waiting_slots: int
) -> PoolState:
    free = devices.c.slot_capacity - devices.c.slots_used
    row = (
        await conn.execute(
            select(
                func.count().filter(devices.c.status == S.ACTIVE),
                func.count().filter(devices.c.status == S.PENDING_CREATE),
                func.coalesce(func.sum(free).filter(devices.c.status == S.ACTIVE), 0),
                func.count().filter(devices.c.status.in_([S.ERROR, S.DEAD])),
            ).where(devices.c.template_id == template_id)
        )
    ).one()
    return PoolState(
        active_devices=row[0],
        pending_devices=row[1],
        free_slots=int(row[2]),
        waiting_slots=waiting_slots,
        failed_devices=row[3],
    )


async def idle_pool_devices(
    conn: AsyncConnection, *, template_id: uuid.UUID, idle_seconds: float
) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(devices.c.id)
        .where(
            devices.c.template_id == template_id,
            devices.c.pool_managed.is_(True),
            devices.c.status == S.ACTIVE,
            devices.c.slots_used == 0,
            devices.c.idle_since < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, idle_seconds),
        )
        .order_by(devices.c.idle_since)
    )
    return list(rows.scalars())


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows}


# --- service instances -------------------------------------------------------------------


async def add_instance(conn: AsyncConnection, *, instance: ServiceInstance) -> bool:
    """Insert unless it exists (a redelivered command); whether it was inserted."""
    result = await conn.execute(
        pg_insert(service_instances)
        .values(id=instance.id, **_instance_values(instance))
        .on_conflict_do_nothing()
    )
    return result.rowcount == 1


async def get_instance(
    conn: AsyncConnection, *, instance_id: uuid.UUID, for_update: bool = False
) -> ServiceInstance | None:
    query = select(service_instances).where(service_instances.c.id == instance_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    bound = await conn.execute(
        select(bindings.c.device_id)
        .where(bindings.c.service_instance_id == instance_id)
        .order_by(bindings.c.position)
    )
    return ServiceInstance(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        service_type_id=row.service_type_id,
        service_table_id=row.service_table_id,
        mgmt_driver=row.mgmt_driver,
        mgmt_address=row.mgmt_address,
        service_contexts=[ServiceContext(**c) for c in row.service_contexts],
        requested_devices=[uuid.UUID(d) for d in row.requested_devices],
        kwargs=row.kwargs,
        managed_by_user=row.managed_by_user,
        status=row.status,
        error_reason=row.error_reason,
        devices=list(bound.scalars()),
        revision=row.revision,
    )


async def save_instance(
    conn: AsyncConnection, *, instance: ServiceInstance, waiting: bool = False
) -> None:
    """``waiting``: the instance waits for room. Placing, failing or deleting it ends the wait."""
    values = _instance_values(instance)
    values["updated_at"] = func.now()
    if waiting:
        values["waiting_since"] = func.coalesce(service_instances.c.waiting_since, func.now())
    elif instance.status != S.PENDING_CREATE or instance.devices:
        values["waiting_since"] = None
    await conn.execute(
        update(service_instances).where(service_instances.c.id == instance.id).values(**values)
    )


async def delete_instance(conn: AsyncConnection, *, instance_id: uuid.UUID) -> None:
    await conn.execute(delete(service_instances).where(service_instances.c.id == instance_id))


async def bind(
    conn: AsyncConnection,
    *,
    instance_id: uuid.UUID,
    device_id: uuid.UUID,
    slots: int,
    position: int,
) -> None:
    await conn.execute(
        insert(bindings).values(
            service_instance_id=instance_id, device_id=device_id, slots=slots, position=position
        )
    )


async def instance_bindings(
    conn: AsyncConnection, *, instance_id: uuid.UUID
) -> list[tuple[uuid.UUID, int]]:
    rows = await conn.execute(
        select(bindings.c.device_id, bindings.c.slots)
        .where(bindings.c.service_instance_id == instance_id)
        .order_by(bindings.c.position)
    )
    return [(row.device_id, row.slots) for row in rows]


async def unbind(conn: AsyncConnection, *, instance_id: uuid.UUID, device_id: uuid.UUID) -> None:
    await conn.execute(
        delete(bindings).where(
            bindings.c.service_instance_id == instance_id, bindings.c.device_id == device_id
        )
    )


async def hosts_of(conn: AsyncConnection, *, device_ids: list[uuid.UUID]) -> list[str]:
    if not device_ids:
        return []
    rows = await conn.execute(
        select(devices.c.host).where(devices.c.id.in_(device_ids), devices.c.host.is_not(None))
    )
    return [host for host in rows.scalars() if host is not None]


async def waiting_instances(conn: AsyncConnection, *, template_id: uuid.UUID) -> list[uuid.UUID]:
    """Instances of the template's service types waiting for room, oldest first."""
    query = (
        select(service_instances.c.id)
        .join(service_types, service_types.c.id == service_instances.c.service_type_id)
        .where(
            service_types.c.template_id == template_id,
            service_instances.c.waiting_since.is_not(None),
        )
        .order_by(service_instances.c.waiting_since, service_instances.c.id)
    )
    return list((await conn.execute(query)).scalars())


async def templates_with_waiting(conn: AsyncConnection) -> list[uuid.UUID]:
    query = (
        select(service_types.c.template_id)
        .join(service_instances, service_types.c.id == service_instances.c.service_type_id)
        .where(service_instances.c.waiting_since.is_not(None))
        .distinct()
    )
    return list((await conn.execute(query)).scalars())


async def has_waiting(conn: AsyncConnection, *, template_id: uuid.UUID) -> bool:
    query = (
        select(service_instances.c.id)
        .join(service_types, service_types.c.id == service_instances.c.service_type_id)
        .where(
            service_types.c.template_id == template_id,
            service_instances.c.waiting_since.is_not(None),
        )
        .limit(1)
    )
    return (await conn.scalar(query)) is not None


async def waiting_slots(
    conn: AsyncConnection,
    *,
    template_id: uuid.UUID,
    policy: TemplatePolicy,
    excluding: uuid.UUID | None = None,
) -> int:
    """Slots wanted by the instances of this template waiting for room."""
    query = (
        select(service_types.c.service_type, service_instances.c.kwargs)
        .select_from(
            service_instances.join(
                service_types, service_types.c.id == service_instances.c.service_type_id
            )
        )
        .where(
            service_types.c.template_id == template_id,
            service_instances.c.waiting_since.is_not(None),
        )
    )
    if excluding is not None:
        query = query.where(service_instances.c.id != excluding)
    total = 0
    for row in await conn.execute(query):
        copies = 2 if row.kwargs.get("ha") is True else 1
        total += copies * policy.slots_for(row.service_type)
    return total


async def stale_waiting_instances(
    conn: AsyncConnection, *, older_than_seconds: float
) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(service_instances.c.id).where(
            service_instances.c.waiting_since
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
        )
    )
    return list(rows.scalars())


async def count_active_slots(conn: AsyncConnection) -> tuple[int, int]:
    """(used, free) slots over the ACTIVE devices."""
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(devices.c.slots_used), 0),
                func.coalesce(func.sum(devices.c.slot_capacity - devices.c.slots_used), 0),
            ).where(devices.c.status == S.ACTIVE)
        )
    ).one()
    return int(row[0]), int(row[1])


async def count_instances_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(
        select(service_instances.c.status, func.count()).group_by(service_instances.c.status)
    )
    return {status: count for status, count in rows}


def _instance_values(instance: ServiceInstance) -> dict[str, Any]:
    return {
        "tenant_id": instance.tenant_id,
        "name": instance.name,
        "service_type_id": instance.service_type_id,
        "service_table_id": instance.service_table_id,
        "mgmt_driver": instance.mgmt_driver,
        "mgmt_address": instance.mgmt_address,
        "service_contexts": [c.model_dump(mode="json") for c in instance.service_contexts],
        "requested_devices": [str(d) for d in instance.requested_devices],
        "kwargs": instance.kwargs,
        "managed_by_user": instance.managed_by_user,
        "status": instance.status,
        "error_reason": instance.error_reason,
        "revision": instance.revision,
    }
