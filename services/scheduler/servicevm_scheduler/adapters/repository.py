"""Reading and writing the scheduler's projection."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import devices, templates
from servicevm_scheduler.domain.capacity import DEFAULT_SLOT_CAPACITY, slot_capacity
from shared.contracts.models import DeviceSnapshot, DeviceTemplateSnapshot


async def upsert_template(conn: AsyncConnection, *, template: DeviceTemplateSnapshot) -> None:
    values = {
        "tenant_id": template.tenant_id,
        "service_types": [ref.service_type for ref in template.service_types],
        "attributes": template.attributes,
        "slot_capacity": slot_capacity(template.attributes),
    }
    await conn.execute(
        pg_insert(templates)
        .values(id=template.id, **values)
        .on_conflict_do_update(index_elements=[templates.c.id], set_=values)
    )


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(templates).where(templates.c.id == template_id))


async def apply_device(conn: AsyncConnection, *, device: DeviceSnapshot) -> None:
    """Take the snapshot unless a newer one is already held."""
    capacity = await conn.scalar(
        select(templates.c.slot_capacity).where(templates.c.id == device.template_id)
    )
    values = {
        "tenant_id": device.tenant_id,
        "template_id": device.template_id,
        "status": device.status,
        "slot_capacity": capacity or DEFAULT_SLOT_CAPACITY,
        "revision": device.revision,
        "updated_at": func.now(),
    }
    statement = pg_insert(devices).values(id=device.id, **values)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[devices.c.id],
            set_=values,
            where=devices.c.revision < statement.excluded.revision,
        )
    )


async def remove_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows.tuples()}
