"""A template's pool of devices: its state, its idle devices, the devices it asks for."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import devices
from servicevm_scheduler.adapters.raw import Raw
from servicevm_scheduler.domain.pool import PoolState
from shared.contracts.statuses import DeviceStatus

# At least $2 free slots on the template's ACTIVE devices. Any $2 devices with room have
# $2 free slots in all, so it reads at most $2 of them (along the spread placement index),
# never the whole pool.
_HAS_FREE_SLOTS = (
    "SELECT coalesce(sum(free), 0) >= $2 FROM (SELECT slot_capacity - slots_used AS free "
    "FROM scheduler.devices WHERE template_id = $1 AND status = 'ACTIVE' "
    "AND slot_capacity - slots_used > 0 ORDER BY slot_capacity - slots_used DESC, id "
    "LIMIT $2) emptiest"
)


class SqlPools:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    async def has_free_slots(self, *, template_id: uuid.UUID, slots: int) -> bool:
        """Whether the template's ACTIVE devices have ``slots`` free slots in all."""
        found: bool = await (await self.raw()).fetchval(_HAS_FREE_SLOTS, template_id, slots)
        return found

    async def state(self, *, template_id: uuid.UUID, waiting_slots: int) -> PoolState:
        free = devices.c.slot_capacity - devices.c.slots_used
        query = select(
            func.count().filter(devices.c.status == DeviceStatus.ACTIVE),
            func.count().filter(devices.c.status == DeviceStatus.PENDING_CREATE),
            func.coalesce(func.sum(free).filter(devices.c.status == DeviceStatus.ACTIVE), 0),
            func.count().filter(devices.c.status.in_([DeviceStatus.ERROR, DeviceStatus.DEAD])),
        ).where(devices.c.template_id == template_id)
        row = (await self.conn.execute(query)).one()
        return PoolState(
            active_devices=row[0],
            pending_devices=row[1],
            free_slots=int(row[2]),
            waiting_slots=waiting_slots,
            failed_devices=row[3],
        )

    async def idle_devices(self, *, template_id: uuid.UUID, idle_seconds: float) -> list[uuid.UUID]:
        idle_for = func.make_interval(0, 0, 0, 0, 0, 0, idle_seconds)
        rows = await self.conn.execute(
            select(devices.c.id)
            .where(
                devices.c.template_id == template_id,
                devices.c.pool_managed.is_(True),
                devices.c.status == DeviceStatus.ACTIVE,
                devices.c.slots_used == 0,
                devices.c.idle_since < func.now() - idle_for,
            )
            .order_by(devices.c.idle_since)
        )
        return list(rows.scalars())

    async def add_device(
        self, *, device_id: uuid.UUID, tenant_id: str, template_id: uuid.UUID, slot_capacity: int
    ) -> None:
        """Record a device the scheduler asked for, so it counts as coming before lifecycle
        announces it (revision 0: lifecycle's first snapshot replaces it)."""
        await self.conn.execute(
            insert(devices).values(
                id=device_id,
                tenant_id=tenant_id,
                template_id=template_id,
                status=DeviceStatus.PENDING_CREATE,
                slot_capacity=slot_capacity,
                pool_managed=True,
                revision=0,
            )
        )

    async def mark_releasing(self, *, device_id: uuid.UUID) -> None:
        await self.conn.execute(
            update(devices)
            .where(devices.c.id == device_id)
            .values(status=DeviceStatus.PENDING_DELETE)
        )
