"""Bindings: the slots a service instance holds on a device (ServiceDeviceBinding). They
are made with the slots they take, in one statement (``slots.SqlSlots.take``)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import bindings


class SqlBindings:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def unbind(self, *, instance_id: uuid.UUID, device_id: uuid.UUID) -> None:
        await self.conn.execute(
            delete(bindings).where(
                bindings.c.service_instance_id == instance_id, bindings.c.device_id == device_id
            )
        )

    async def of_instance(self, *, instance_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        rows = await self.conn.execute(
            select(bindings.c.device_id, bindings.c.slots)
            .where(bindings.c.service_instance_id == instance_id)
            .order_by(bindings.c.position)
        )
        return [(row.device_id, row.slots) for row in rows]

    async def services_on(self, *, device_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.conn.execute(
            select(bindings.c.service_instance_id)
            .where(bindings.c.device_id == device_id)
            .order_by(bindings.c.service_instance_id)
        )
        return list(rows.scalars())
