"""Reading and writing the api's query model."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, Table, Text, cast, delete, func, insert, or_, select, update
from sqlalchemy import literal_column as sql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import device_templates, devices, service_instances, service_types
from shared.contracts.events import DeviceCapacityChanged, DeviceMonitorsReported
from shared.contracts.models import DeviceSnapshot, DeviceStatus, ServiceInstanceSnapshot


def _visible(
    table: Table,
    columns: Sequence[Any],
    *,
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> Select[Any]:
    """Rows visible to a tenant (None: all), filtered, in id order after the marker."""
    query = select(*columns).order_by(table.c.id)
    if tenant_id is not None:
        query = query.where(table.c.tenant_id == tenant_id)
    for name, values in filters.items():
        query = query.where(table.c[name].in_(values))
    if marker is not None:
        query = query.where(table.c.id > marker)
    if limit is not None:
        query = query.limit(limit)
    return query


async def list_rows(
    conn: AsyncConnection,
    *,
    table: Table,
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> list[Row[Any]]:
    query = _visible(
        table, [table], tenant_id=tenant_id, filters=filters, limit=limit, marker=marker
    )
    return list((await conn.execute(query)).all())


@dataclass(frozen=True)
class JsonPage:
    """A page of rows as a JSON array PostgreSQL built, with what its links need."""

    items: str
    count: int
    last_id: uuid.UUID | None


async def list_json(
    conn: AsyncConnection,
    *,
    table: Table,
    columns: Sequence[str],
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> JsonPage:
    """Like list_rows, but each row is a JSON object of ``columns`` (their names as keys),
    and the page one JSON array: no Python object per row."""
    page = _visible(
        table,
        [table.c[name] for name in columns],
        tenant_id=tenant_id,
        filters=filters,
        limit=limit,
        marker=marker,
    ).subquery("page")
    items = func.json_agg(aggregate_order_by(func.to_json(sql("page")), page.c.id))
    query = select(
        cast(func.coalesce(items, sql("'[]'::json")), Text),
        func.count(),
        func.array_agg(aggregate_order_by(page.c.id, page.c.id.desc()))[1],
    )
    row = (await conn.execute(query)).one()
    return JsonPage(items=row[0], count=row[1], last_id=row[2])


async def get_row(
    conn: AsyncConnection, *, table: Table, row_id: uuid.UUID, lock: str | None = None
) -> Row[Any] | None:
    query = select(table).where(table.c.id == row_id)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "share":
        query = query.with_for_update(read=True)
    return (await conn.execute(query)).first()


async def add_template(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(device_templates).values(**values))
    if values["service_types"]:
        await conn.execute(
            insert(service_types),
            [
                {
                    "id": uuid.UUID(str(ref["id"])),
                    "template_id": values["id"],
                    "tenant_id": values["tenant_id"],
                    "service_type": ref["service_type"],
                }
                for ref in values["service_types"]
            ],
        )


async def update_template(
    conn: AsyncConnection, *, template_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(device_templates).where(device_templates.c.id == template_id).values(**values)
    )


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(device_templates).where(device_templates.c.id == template_id))


async def devices_using_template(
    conn: AsyncConnection, *, template_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(devices.c.id).where(devices.c.template_id == template_id).limit(10)
    )
    return list(rows.scalars())


async def instances_using_template(
    conn: AsyncConnection, *, template_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await conn.execute(
        select(service_instances.c.id)
        .join(service_types, service_types.c.id == service_instances.c.service_type_id)
        .where(service_types.c.template_id == template_id)
        .limit(10)
    )
    return list(rows.scalars())


async def add_device(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(devices).values(**values))


async def set_device_fields(
    conn: AsyncConnection, *, device_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(update(devices).where(devices.c.id == device_id).values(**values))


async def apply_device_snapshot(conn: AsyncConnection, *, device: DeviceSnapshot) -> None:
    """Take lifecycle's snapshot unless a newer one is held. A device the api did not create
    (the scheduler grew a pool) is added on its first announcement; any other unknown
    device was deleted, and a late snapshot never resurrects it."""
    # What a snapshot changes: all but the fixed identity, template and attachments.
    values = device.model_dump(exclude={"id", "tenant_id", "template_id", "service_contexts"})
    if device.status != DeviceStatus.PENDING_CREATE:
        await conn.execute(
            update(devices)
            .where(devices.c.id == device.id, devices.c.revision < device.revision)
            .values(**values)
        )
        return
    # One statement: the row the api wrote on the POST (or none, for a pool device) takes it.
    insert_ = pg_insert(devices).values(
        id=device.id,
        tenant_id=device.tenant_id,
        template_id=device.template_id,
        service_contexts=[c.model_dump(mode="json") for c in device.service_contexts],
        **values,
    )
    await conn.execute(
        insert_.on_conflict_do_update(
            index_elements=[devices.c.id],
            set_={name: insert_.excluded[name] for name in values},
            where=devices.c.revision < insert_.excluded.revision,
        )
    )


async def apply_monitors(conn: AsyncConnection, *, event: DeviceMonitorsReported) -> None:
    reports = [report.model_dump(mode="json") for report in event.monitors]
    await conn.execute(
        update(devices).where(devices.c.id == event.device_id).values(monitors=reports)
    )


async def apply_capacity(conn: AsyncConnection, *, event: DeviceCapacityChanged) -> None:
    await conn.execute(
        update(devices)
        .where(
            devices.c.id == event.device_id, devices.c.capacity_revision < event.capacity_revision
        )
        .values(
            slot_capacity=event.slot_capacity,
            slots_used=event.slots_used,
            services=[str(s) for s in event.services],
            capacity_revision=event.capacity_revision,
        )
    )


# --- service instances -------------------------------------------------------------------


async def add_service_instance(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(service_instances).values(**values))


async def set_service_instance_fields(
    conn: AsyncConnection, *, instance_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(service_instances).where(service_instances.c.id == instance_id).values(**values)
    )


async def apply_instance_snapshot(
    conn: AsyncConnection, *, instance: ServiceInstanceSnapshot
) -> None:
    """Take the scheduler's snapshot unless a newer one is held; never resurrect a row."""
    await conn.execute(
        update(service_instances)
        .where(
            service_instances.c.id == instance.id,
            service_instances.c.revision < instance.revision,
        )
        .values(
            name=instance.name,
            kwargs=instance.kwargs,
            devices=[str(d) for d in instance.devices],
            status=instance.status,
            error_reason=instance.error_reason,
            revision=instance.revision,
        )
    )


async def remove_service_instance(conn: AsyncConnection, *, instance_id: uuid.UUID) -> None:
    await conn.execute(delete(service_instances).where(service_instances.c.id == instance_id))


async def existing_devices(conn: AsyncConnection, *, device_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.execute(select(devices.c.id).where(devices.c.id.in_(device_ids)))
    return set(rows.scalars())


async def topology_rows(
    conn: AsyncConnection, *, tenant_id: str | None, filters: dict[str, list[Any]]
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """Devices and service instances a caller's topology shows: with a tenant, its own
    instances and the devices that are its own or host them; without one, everything."""
    instance_query = select(service_instances).order_by(service_instances.c.id)
    if tenant_id is not None:
        instance_query = instance_query.where(service_instances.c.tenant_id == tenant_id)
    instances = list((await conn.execute(instance_query)).all())
    device_query = select(devices).order_by(devices.c.host, devices.c.id)
    if tenant_id is not None:
        hosting = {uuid.UUID(d) for row in instances for d in row.devices}
        device_query = device_query.where(
            or_(devices.c.tenant_id == tenant_id, devices.c.id.in_(hosting))
        )
    for name, values in filters.items():
        device_query = device_query.where(devices.c[name].in_(values))
    return list((await conn.execute(device_query)).all()), instances


async def remove_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows}
