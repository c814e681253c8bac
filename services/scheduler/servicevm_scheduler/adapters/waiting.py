"""Service instances waiting for room (``waiting_since`` set), by the template they wait on."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import service_instances, service_types
from servicevm_scheduler.adapters.raw import Raw
from shared.contracts.template_policy import TemplatePolicy

_WAITING = service_instances.c.waiting_since.is_not(None)
# Waiting for room, not for devices the client named (those wait for no pool slots).
_FOR_ROOM = service_instances.c.requested_devices == literal([], JSONB)
_OF_TYPE = service_types.c.id == service_instances.c.service_type_id


# Run at every device turning ACTIVE or ERROR: one statement, prepared once.
_WOKEN_BY = (
    "SELECT DISTINCT t.template_id FROM scheduler.service_instances i "
    "JOIN scheduler.service_types t ON t.id = i.service_type_id "
    "WHERE i.waiting_since IS NOT NULL "
    "AND (t.template_id = $1 OR i.requested_devices @> $2::jsonb) ORDER BY t.template_id"
)


class SqlWaiting:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

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

    async def woken_by(self, *, template_id: uuid.UUID, device_id: uuid.UUID) -> list[uuid.UUID]:
        """The templates whose waiting instances a device of ``template_id`` turning ACTIVE
        or ERROR may let go: its own, if any wait for it, and those of instances naming it.

        The first statement of its unit of work (the usual case), it runs on its own, with
        no BEGIN (nor COMMIT, when nothing follows): under READ COMMITTED a statement sees
        the same inside a transaction or alone, and this one takes no lock."""
        rows = await (await self.raw.first_read()).fetch(
            _WOKEN_BY, template_id, json.dumps([str(device_id)])
        )
        return [row["template_id"] for row in rows]

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
            .where(service_types.c.template_id == template_id, _WAITING, _FOR_ROOM)
        )
        if excluding is not None:
            query = query.where(service_instances.c.id != excluding)
        total = 0
        for row in await self.conn.execute(query):
            copies = 2 if row.kwargs.get("ha") is True else 1
            total += copies * policy.slots_for(row.service_type)
        return total

    async def naming(self, *, device_id: uuid.UUID) -> list[uuid.UUID]:
        """Instances waiting for this device, which the client named."""
        named = service_instances.c.requested_devices.contains([str(device_id)])
        query = select(service_instances.c.id).where(_WAITING, named)
        return list((await self.conn.execute(query.order_by(service_instances.c.id))).scalars())

    async def stale(self, *, older_than_seconds: float) -> list[uuid.UUID]:
        older = func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
        rows = await self.conn.execute(
            select(service_instances.c.id).where(
                service_instances.c.waiting_since < func.now() - older
            )
        )
        return list(rows.scalars())
