"""The service instances the scheduler owns."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import bindings, service_instances
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts.statuses import ServiceInstanceStatus


class SqlInstances:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, *, instance: ServiceInstance) -> bool:
        """Insert unless it exists (a redelivered command); whether it was inserted."""
        result = await self.conn.execute(
            pg_insert(service_instances)
            .values(id=instance.id, **_values(instance))
            .on_conflict_do_nothing()
        )
        return result.rowcount == 1

    async def get(
        self, *, instance_id: uuid.UUID, for_update: bool = False
    ) -> ServiceInstance | None:
        query = select(service_instances).where(service_instances.c.id == instance_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        bound = await self.conn.execute(
            select(bindings.c.device_id)
            .where(bindings.c.service_instance_id == instance_id)
            .order_by(bindings.c.position)
        )
        found = ServiceInstance.model_validate(row, from_attributes=True)
        return found.model_copy(update={"devices": list(bound.scalars())})

    async def save(self, *, instance: ServiceInstance, waiting: bool = False) -> None:
        """``waiting``: the instance waits for room. Placing, failing or deleting it ends the
        wait."""
        values = _values(instance)
        values["updated_at"] = func.now()
        if waiting:
            values["waiting_since"] = func.coalesce(service_instances.c.waiting_since, func.now())
        elif instance.status != ServiceInstanceStatus.PENDING_CREATE or instance.devices:
            values["waiting_since"] = None
        await self.conn.execute(
            update(service_instances).where(service_instances.c.id == instance.id).values(**values)
        )

    async def stale_pending(self, *, older_than_seconds: float) -> list[uuid.UUID]:
        """Instances pending (and not waiting for room: that wait has its own deadline)
        unchanged for that long, oldest first; rows a handler holds are skipped."""
        older = func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
        rows = await self.conn.execute(
            select(service_instances.c.id)
            .where(
                service_instances.c.status.in_(ServiceInstanceStatus.PENDING),
                service_instances.c.waiting_since.is_(None),
                service_instances.c.updated_at < func.now() - older,
            )
            .order_by(service_instances.c.updated_at)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
        return list(rows.scalars())

    async def delete(self, *, instance_id: uuid.UUID) -> None:
        await self.conn.execute(
            delete(service_instances).where(service_instances.c.id == instance_id)
        )


# The columns that hold the instance's fields (the rest are the table's own: waiting_since,
# created_at, ...); the JSONB ones take JSON (UUIDs as strings).
_COLUMNS: set[str] = set(service_instances.c.keys()) & ServiceInstance.model_fields.keys() - {"id"}
_JSON_COLUMNS = {"service_contexts", "requested_devices", "kwargs"}


def _values(instance: ServiceInstance) -> dict[str, Any]:
    return instance.model_dump(include=_COLUMNS - _JSON_COLUMNS) | instance.model_dump(
        mode="json", include=_JSON_COLUMNS
    )
