"""The service instances the scheduler owns."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import bindings, service_instances
from servicevm_scheduler.adapters.raw import Raw, cast
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts.statuses import ServiceInstanceStatus


class SqlInstances:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    async def add(self, *, instance: ServiceInstance) -> bool:
        """Insert unless it exists (a redelivered command); whether it was inserted."""
        status = await (await self.raw()).execute(_INSERT, instance.id, *insert_params(instance))
        return bool(status == "INSERT 0 1")

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
        if waiting:
            wait = "wait"
        elif instance.status != ServiceInstanceStatus.PENDING_CREATE or instance.devices:
            wait = "end"
        else:
            wait = "keep"
        await (await self.raw()).execute(_UPDATE, instance.id, wait, *insert_params(instance))

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


_ORDER = sorted(_COLUMNS)
# The columns an instance's insert sets after its id, in the order of ``insert_params``.
INSERT_COLUMNS = ", ".join(_ORDER)


def insert_values(first: int) -> str:
    """The parameters ``$first`` onwards for ``INSERT_COLUMNS``, cast to the columns' types
    (an INSERT ... SELECT does not infer them)."""
    return ", ".join(cast(n, service_instances.c[name]) for n, name in enumerate(_ORDER, first))


_INSERT = (
    f"INSERT INTO scheduler.service_instances (id, {INSERT_COLUMNS}) "
    f"VALUES ($1, {insert_values(2)}) ON CONFLICT DO NOTHING"
)
# $2: 'wait' (starts waiting unless it already does), 'end' (no longer waits) or 'keep'.
_UPDATE = (
    "UPDATE scheduler.service_instances SET updated_at = now(), waiting_since = CASE $2 "
    "WHEN 'wait' THEN coalesce(waiting_since, now()) WHEN 'end' THEN NULL "
    "ELSE waiting_since END, "
    + ", ".join(f"{name} = ${n}" for n, name in enumerate(_ORDER, start=3))
    + " WHERE id = $1"
)


def insert_params(instance: ServiceInstance) -> list[Any]:
    """The values of ``INSERT_COLUMNS`` for the raw statements (JSONB ones as JSON text)."""
    values = _values(instance)
    return [json.dumps(values[n]) if n in _JSON_COLUMNS else values[n] for n in _ORDER]


def _values(instance: ServiceInstance) -> dict[str, Any]:
    return instance.model_dump(include=_COLUMNS - _JSON_COLUMNS) | instance.model_dump(
        mode="json", include=_JSON_COLUMNS
    )
