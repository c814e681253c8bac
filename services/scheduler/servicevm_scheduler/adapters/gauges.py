"""Counts behind the scheduler's gauges, read outside any unit of work."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import devices, service_instances
from shared.contracts.statuses import DeviceStatus


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows}


async def count_active_slots(conn: AsyncConnection) -> tuple[int, int]:
    """(used, free) slots over the ACTIVE devices."""
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(devices.c.slots_used), 0),
                func.coalesce(func.sum(devices.c.slot_capacity - devices.c.slots_used), 0),
            ).where(devices.c.status == DeviceStatus.ACTIVE)
        )
    ).one()
    return int(row[0]), int(row[1])


async def count_instances_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(
        select(service_instances.c.status, func.count()).group_by(service_instances.c.status)
    )
    return {status: count for status, count in rows}


async def slots_per_template(conn: AsyncConnection) -> dict[str, tuple[int, int]]:
    """template id -> (used, free) slots over its ACTIVE devices."""
    rows = await conn.execute(
        select(
            devices.c.template_id,
            func.sum(devices.c.slots_used),
            func.sum(devices.c.slot_capacity - devices.c.slots_used),
        )
        .where(devices.c.status == DeviceStatus.ACTIVE)
        .group_by(devices.c.template_id)
    )
    return {str(template): (int(used), int(free)) for template, used, free in rows}


async def pool_devices_per_template(conn: AsyncConnection) -> dict[str, tuple[int, int]]:
    """template id -> (idle, busy) pool-managed devices that are ACTIVE."""
    idle = func.count().filter(devices.c.slots_used == 0)
    busy = func.count().filter(devices.c.slots_used > 0)
    rows = await conn.execute(
        select(devices.c.template_id, idle, busy)
        .where(devices.c.pool_managed.is_(True), devices.c.status == DeviceStatus.ACTIVE)
        .group_by(devices.c.template_id)
    )
    return {str(template): (int(i), int(b)) for template, i, b in rows}
