"""The projection of templates and their service types, and the locks named after them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import service_types, templates
from servicevm_scheduler.adapters.raw import Raw
from servicevm_scheduler.domain.projection import Remembered, Template
from shared.contracts.models import DeviceTemplateSnapshot
from shared.contracts.template_policy import TemplatePolicy

_OF_SERVICE_TYPE = (
    "SELECT t.id, t.tenant_id, t.attributes, t.mgmt_driver, s.service_type "
    "FROM scheduler.service_types s "
    "JOIN scheduler.templates t ON t.id = s.template_id WHERE s.id = $1"
)


# What ``of_service_type`` last read, per service type, for ``remembered`` (this process's;
# bounded: cleared when it holds more than this many).
_REMEMBERED: dict[uuid.UUID, Remembered] = {}
_REMEMBER_AT_MOST = 10_000


class SqlTemplates:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    async def upsert(self, *, template: DeviceTemplateSnapshot) -> None:
        policy = TemplatePolicy.lenient(template.attributes)
        values = {
            "tenant_id": template.tenant_id,
            "service_types": [ref.model_dump(mode="json") for ref in template.service_types],
            "attributes": template.attributes,
            "slot_capacity": policy.slot_capacity,
            "mgmt_driver": template.mgmt_driver,
        }
        await self.conn.execute(
            pg_insert(templates)
            .values(id=template.id, **values)
            .on_conflict_do_update(index_elements=[templates.c.id], set_=values)
        )
        await self.conn.execute(
            delete(service_types).where(service_types.c.template_id == template.id)
        )
        if template.service_types:
            await self.conn.execute(
                insert(service_types),
                [
                    {"id": ref.id, "template_id": template.id, "service_type": ref.service_type}
                    for ref in template.service_types
                ],
            )

    async def delete(self, *, template_id: uuid.UUID) -> None:
        await self.conn.execute(delete(templates).where(templates.c.id == template_id))

    async def get(self, *, template_id: uuid.UUID) -> Template | None:
        # Templates change rarely; read at every placement, they are a primary-key lookup.
        query = select(templates).where(templates.c.id == template_id)
        row = (await self.conn.execute(query)).first()
        if row is None:
            return None
        return _template(row.id, row.tenant_id, row.attributes, row.mgmt_driver)

    async def service_type(self, *, service_type_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
        """(template id, service type name) of a service type id, if the template is known."""
        query = select(service_types.c.template_id, service_types.c.service_type).where(
            service_types.c.id == service_type_id
        )
        row = (await self.conn.execute(query)).first()
        return (row.template_id, row.service_type) if row is not None else None

    async def of_service_type(self, *, service_type_id: uuid.UUID) -> tuple[Template, str] | None:
        """``service_type`` and ``get`` in one round trip (a placement's first read)."""
        row = await (await self.raw()).fetchrow(_OF_SERVICE_TYPE, service_type_id)
        if row is None:
            _REMEMBERED.pop(service_type_id, None)
            return None
        attributes = row["attributes"]
        template = _template(row["id"], row["tenant_id"], attributes, row["mgmt_driver"])
        if len(_REMEMBERED) >= _REMEMBER_AT_MOST:
            _REMEMBERED.clear()
        _REMEMBERED[service_type_id] = Remembered(
            service_type_id, template, row["service_type"], attributes
        )
        return template, row["service_type"]

    def remembered(self, *, service_type_id: uuid.UUID) -> Remembered | None:
        """``of_service_type`` as this process last read it, without a round trip."""
        return _REMEMBERED.get(service_type_id)

    async def offers(self, *, template_id: uuid.UUID, service_type: str) -> bool:
        found = await self.conn.scalar(
            select(service_types.c.id).where(
                service_types.c.template_id == template_id,
                service_types.c.service_type == service_type,
            )
        )
        return found is not None

    async def with_pools(self) -> list[uuid.UUID]:
        rows = await self.conn.execute(
            select(templates.c.id).where(templates.c.attributes.has_key("max_devices"))
        )
        return list(rows.scalars())

    async def lock(self, *, template_id: uuid.UUID) -> None:
        """Serialize placement decisions per template for the rest of the transaction, so
        "the best device" and "room to grow" are decided on a state no one else is changing."""
        await self.conn.execute(select(func.pg_advisory_xact_lock(_template_key(template_id))))

    async def try_lock(self, *, template_id: uuid.UUID) -> bool:
        """The template's lock if no one else holds it (or this transaction already does)."""
        key = _template_key(template_id)
        return bool(await self.conn.scalar(select(func.pg_try_advisory_xact_lock(key))))

    async def lock_service_type(self, *, service_type_id: uuid.UUID) -> None:
        """Serialize "is this service type known?" with the arrival of its template: an
        instance that finds it unknown is committed as waiting before the template's handler
        looks for waiting instances, or sees the template's rows once that handler has
        committed."""
        key = func.hashtextextended(f"service_type:{service_type_id}", 0)
        await self.conn.execute(select(func.pg_advisory_xact_lock(key)))


def _template(
    template_id: uuid.UUID, tenant_id: str, attributes: dict[str, str], mgmt_driver: str | None
) -> Template:
    return Template(
        template_id, tenant_id, TemplatePolicy.lenient(attributes), mgmt_driver, attributes
    )


def _template_key(template_id: uuid.UUID) -> Any:
    return func.hashtextextended(str(template_id), 0)
