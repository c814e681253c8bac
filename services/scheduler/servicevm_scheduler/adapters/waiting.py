"""Service instances waiting for room (``waiting_since`` set), by the template they wait on."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import service_instances, service_types
from shared.contracts.template_policy import TemplatePolicy

_WAITING = service_instances.c.waiting_since.is_not(None)
_OF_TYPE = service_types.c.id == service_instances.c.service_type_id
# An instance waiting for the devices it named wants no room in the pool.
_ANY_DEVICE = func.jsonb_array_length(service_instances.c.requested_devices) == 0


class SqlWaiting:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def of_template(self, *, template_id: uuid.UUID) -> list[uuid.UUID]:
        """Instances of the template's service types waiting for room, oldest first."""
        query = (
            select(service_instances.c.id)
            .join(service_types, _OF_TYPE)
            .where(service_types.c.template_id == template_id, _WAITING)
            .order_by(service_instances.c.waiting_since, service_instances.c.id)
        )
        return list((await self.conn.execute(query)).scalars())

    async def templates(self) -> list[uuid.UUID]:
        query = (
            select(service_types.c.template_id)
            .join(service_instances, _OF_TYPE)
            .where(_WAITING)
            .distinct()
        )
        return list((await self.conn.execute(query)).scalars())

    async def any_for(self, *, template_id: uuid.UUID) -> bool:
        query = (
            select(service_instances.c.id)
            .join(service_types, _OF_TYPE)
            .where(service_types.c.template_id == template_id, _WAITING)
            .limit(1)
        )
        return (await self.conn.scalar(query)) is not None

    async def slots(
        self,
        *,
        template_id: uuid.UUID,
        policy: TemplatePolicy,
        excluding: uuid.UUID | None = None,
    ) -> int:
        """Slots wanted by the instances of this template waiting for room."""
        query = (
            select(service_types.c.service_type, service_instances.c.kwargs)
            .select_from(service_instances.join(service_types, _OF_TYPE))
            .where(service_types.c.template_id == template_id, _WAITING, _ANY_DEVICE)
        )
        if excluding is not None:
            query = query.where(service_instances.c.id != excluding)
        total = 0
        for row in await self.conn.execute(query):
            copies = 2 if row.kwargs.get("ha") is True else 1
            total += copies * policy.slots_for(row.service_type)
        return total

    async def stale(self, *, older_than_seconds: float) -> list[uuid.UUID]:
        older = func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
        rows = await self.conn.execute(
            select(service_instances.c.id).where(
                service_instances.c.waiting_since < func.now() - older
            )
        )
        return list(rows.scalars())
