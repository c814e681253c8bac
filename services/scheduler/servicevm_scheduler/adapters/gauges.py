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
