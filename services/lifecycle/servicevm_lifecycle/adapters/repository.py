"""Reading and writing lifecycle's tables. Keyword-only arguments, domain objects out."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import (
    device_service_contexts,
    device_template_attributes,
    device_templates,
    devices,
    service_types,
)
from servicevm_lifecycle.domain.model import Device
from shared.contracts.models import DeviceTemplateSnapshot, ServiceContext, ServiceTypeRef

CONTEXT_FIELDS = ("network_id", "subnet_id", "port_id", "router_id", "role", "index")


async def add_template(conn: AsyncConnection, *, template: DeviceTemplateSnapshot) -> bool:
    """Insert the template; False if it was already there (a redelivered command)."""
    result = await conn.execute(
        pg_insert(device_templates)
        .values(
            id=template.id,
            tenant_id=template.tenant_id,
            name=template.name,
            description=template.description,
            device_driver=template.device_driver,
            mgmt_driver=template.mgmt_driver,
            vim_id=template.vim_id,
        )
        .on_conflict_do_nothing()
    )
    if result.rowcount == 0:
        return False
    if template.service_types:
        await conn.execute(
            insert(service_types),
            [
                {"id": ref.id, "template_id": template.id, "service_type": ref.service_type}
                for ref in template.service_types
            ],
        )
    if template.attributes:
        await conn.execute(
            insert(device_template_attributes),
            [
                {"template_id": template.id, "key": k, "value": v}
                for k, v in template.attributes.items()
            ],
        )
    return True


async def get_template(
    conn: AsyncConnection, *, template_id: uuid.UUID
) -> DeviceTemplateSnapshot | None:
    """One round trip: the template with its service types and attributes aggregated."""
    types = (
        select(
            func.coalesce(
                func.json_agg(
                    func.json_build_object(
                        "id", service_types.c.id, "service_type", service_types.c.service_type
                    )
                ),
                literal_column("'[]'::json"),
            )
        )
        .where(service_types.c.template_id == device_templates.c.id)
        .scalar_subquery()
    )
    attrs = (
        select(
            func.coalesce(
                func.json_object_agg(
                    device_template_attributes.c.key, device_template_attributes.c.value
                ),
                literal_column("'{}'::json"),
            )
        )
        .where(device_template_attributes.c.template_id == device_templates.c.id)
        .scalar_subquery()
    )
    query = select(device_templates, types.label("types"), attrs.label("attrs")).where(
        device_templates.c.id == template_id
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return DeviceTemplateSnapshot(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        device_driver=row.device_driver,
        mgmt_driver=row.mgmt_driver,
        service_types=[ServiceTypeRef(**ref) for ref in row.types],
        attributes=row.attrs,
        vim_id=row.vim_id,
    )


async def rename_template(
    conn: AsyncConnection, *, template_id: uuid.UUID, name: str, description: str
) -> None:
    await conn.execute(
        update(device_templates)
        .where(device_templates.c.id == template_id)
        .values(name=name, description=description)
    )


async def template_in_use(conn: AsyncConnection, *, template_id: uuid.UUID) -> bool:
    count = await conn.scalar(
        select(func.count()).select_from(devices).where(devices.c.template_id == template_id)
    )
    return bool(count)


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(device_templates).where(device_templates.c.id == template_id))


async def add_device(conn: AsyncConnection, *, device: Device) -> bool:
    """Insert the device; False if it was already there (a redelivered command)."""
    result = await conn.execute(
        pg_insert(devices)
        .values(
            id=device.id,
            tenant_id=device.tenant_id,
            template_id=device.template_id,
            kwargs=device.kwargs,
            status=device.status,
            revision=device.revision,
            vim_id=device.vim_id,
        )
        .on_conflict_do_nothing()
    )
    if result.rowcount == 0:
        return False
    if device.service_contexts:
        await conn.execute(
            insert(device_service_contexts),
            [
                {"device_id": device.id, "position": position, **context.model_dump()}
                for position, context in enumerate(device.service_contexts)
            ],
        )
    return True


async def get_device(
    conn: AsyncConnection, *, device_id: uuid.UUID, for_update: bool = False
) -> Device | None:
    """One round trip: the device with its service contexts, in their order."""
    contexts = device_service_contexts
    context_json = func.json_build_object(
        *(arg for name in CONTEXT_FIELDS for arg in (name, contexts.c[name]))
    )
    context_list = (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(context_json, contexts.c.position)),
                literal_column("'[]'::json"),
            )
        )
        .where(contexts.c.device_id == devices.c.id)
        .scalar_subquery()
    )
    query = select(devices, context_list.label("contexts")).where(devices.c.id == device_id)
    if for_update:
        query = query.with_for_update(of=devices)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Device(
        id=row.id,
        tenant_id=row.tenant_id,
        template_id=row.template_id,
        kwargs=row.kwargs,
        service_contexts=[ServiceContext(**context) for context in row.contexts],
        status=row.status,
        instance_id=row.instance_id,
        mgmt_address=row.mgmt_address,
        host=row.host,
        availability_zone=row.availability_zone,
        vim_id=row.vim_id,
        error_reason=row.error_reason,
        revision=row.revision,
    )


async def save_device(conn: AsyncConnection, *, device: Device) -> None:
    await conn.execute(
        update(devices)
        .where(devices.c.id == device.id)
        .values(
            instance_id=device.instance_id,
            mgmt_address=device.mgmt_address,
            host=device.host,
            availability_zone=device.availability_zone,
            kwargs=device.kwargs,
            status=device.status,
            error_reason=device.error_reason,
            revision=device.revision,
            updated_at=func.now(),
        )
    )


async def record_instance(conn: AsyncConnection, *, device_id: uuid.UUID, instance_id: str) -> None:
    """Only the instance id: whatever else happened to the device meanwhile stands."""
    await conn.execute(
        update(devices)
        .where(devices.c.id == device_id)
        .values(instance_id=instance_id, updated_at=func.now())
    )


async def delete_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows}


async def lock_stale_pending_devices(
    conn: AsyncConnection, *, statuses: tuple[str, ...], older_than_seconds: float, limit: int = 100
) -> list[uuid.UUID]:
    """Pending devices untouched for that long, locked; rows a handler holds are skipped."""
    rows = await conn.execute(
        select(devices.c.id)
        .where(
            devices.c.status.in_(statuses),
            devices.c.updated_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds),
        )
        .order_by(devices.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())
