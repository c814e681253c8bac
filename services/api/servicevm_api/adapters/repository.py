"""Reading and writing the api's query model."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import device_templates, devices
from shared.contracts.models import DeviceSnapshot


async def list_rows(
    conn: AsyncConnection,
    *,
    table: Table,
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> list[Row[Any]]:
    """Rows visible to a tenant (None: all), filtered, in id order after the marker."""
    query = select(table).order_by(table.c.id)
    if tenant_id is not None:
        query = query.where(table.c.tenant_id == tenant_id)
    for name, values in filters.items():
        query = query.where(table.c[name].in_(values))
    if marker is not None:
        query = query.where(table.c.id > marker)
    if limit is not None:
        query = query.limit(limit)
    return list((await conn.execute(query)).all())


async def get_row(
    conn: AsyncConnection, *, table: Table, row_id: uuid.UUID, lock: str | None = None
) -> Row[Any] | None:
    query = select(table).where(table.c.id == row_id)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "share":
        query = query.with_for_update(read=True)
    return (await conn.execute(query)).first()


async def add_template(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(device_templates).values(**values))


async def update_template(
    conn: AsyncConnection, *, template_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(device_templates).where(device_templates.c.id == template_id).values(**values)
    )


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(device_templates).where(device_templates.c.id == template_id))


async def devices_using_template(
    conn: AsyncConnection, *, template_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(devices.c.id).where(devices.c.template_id == template_id).limit(10)
    )
    return list(rows.scalars())


async def add_device(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(devices).values(**values))


async def set_device_fields(
    conn: AsyncConnection, *, device_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(update(devices).where(devices.c.id == device_id).values(**values))


async def apply_device_snapshot(conn: AsyncConnection, *, device: DeviceSnapshot) -> None:
    """Take lifecycle's snapshot unless a newer one is held; never resurrect a deleted row."""
    await conn.execute(
        update(devices)
        .where(devices.c.id == device.id, devices.c.revision < device.revision)
        .values(
            instance_id=device.instance_id,
            mgmt_address=device.mgmt_address,
            kwargs=device.kwargs,
            status=device.status,
            error_reason=device.error_reason,
            revision=device.revision,
        )
    )


async def remove_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows.tuples()}
