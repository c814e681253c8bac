"""The service instances the scheduler owns."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import bindings, service_instances
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts.models import DeviceStatus, ServiceContext

S = DeviceStatus


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

    async def save(self, *, instance: ServiceInstance, waiting: bool = False) -> None:
        """``waiting``: the instance waits for room. Placing, failing or deleting it ends the
        wait."""
        values = _values(instance)
        values["updated_at"] = func.now()
        if waiting:
            values["waiting_since"] = func.coalesce(service_instances.c.waiting_since, func.now())
        elif instance.status != S.PENDING_CREATE or instance.devices:
            values["waiting_since"] = None
        await self.conn.execute(
            update(service_instances).where(service_instances.c.id == instance.id).values(**values)
        )

    async def delete(self, *, instance_id: uuid.UUID) -> None:
        await self.conn.execute(
            delete(service_instances).where(service_instances.c.id == instance_id)
        )


def _values(instance: ServiceInstance) -> dict[str, Any]:
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
