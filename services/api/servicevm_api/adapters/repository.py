"""Reading and writing the api's query model."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import asyncpg
from sqlalchemy import Row, Table, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import (
    device_templates,
    devices,
    outbox,
    service_instances,
    service_types,
    vims,
)
from servicevm_api.adapters.sql import Binder, column_list, jsonb, qualified, record_dict
from shared.contracts.commands import CreateDevice
from shared.contracts.events import DeviceCapacityChanged, DeviceMonitorsReported
from shared.contracts.models import DeviceSnapshot, DeviceStatus, ServiceInstanceSnapshot
from shared.db.raw import OutboxRows, OutboxSql


async def list_rows(
    conn: AsyncConnection,
    *,
    table: Table,
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> list[Row[Any]]:
    """Rows visible to a tenant (None: all), filtered, in id order after the marker."""
    query = select(table).order_by(table.c.id)
    if tenant_id is not None:
        query = query.where(table.c.tenant_id == tenant_id)
    for name, values in filters.items():
        query = query.where(table.c[name].in_(values))
    if marker is not None:
        query = query.where(table.c.id > marker)
    if limit is not None:
        query = query.limit(limit)
    return list((await conn.execute(query)).all())


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


_CREATED = Binder(
    devices,
    (
        "id",
        "tenant_id",
        "template_id",
        "kwargs",
        "service_contexts",
        "vim_id",
        "status",
        "slot_capacity",
    ),
)


@functools.cache
def _create_sql(shown: tuple[str, ...]) -> str:
    """One statement is the whole POST, and so a transaction of its own (no BEGIN, no
    COMMIT): the template locked (shared: it cannot be deleted meanwhile) if the caller
    sees it, the VIM too when one is named, the row added, the outbox rows written only
    if it was, and the row's ``shown`` columns returned as committed. Parameters: the ``_CREATED`` columns,
    the caller's project (NULL: an admin, who sees every project's), then the outbox's
    arrays."""
    first_outbox = len(_CREATED.names) + 2
    visible = f"(${first_outbox - 1}::text IS NULL OR tenant_id = ${first_outbox - 1})"
    template, vim = _CREATED.position("template_id"), _CREATED.position("vim_id")
    # The VIM the client named, else the template's (lifecycle resolves the project's
    # default VIM if neither).
    values = ", ".join(
        f"coalesce(${i}, template.vim_id)" if i == vim else f"${i}"
        for i in range(1, len(_CREATED.names) + 1)
    )
    return (
        f"WITH template AS (SELECT vim_id FROM {qualified(device_templates)} "
        f"WHERE id = ${template} AND {visible} FOR SHARE), "
        f"vim AS (SELECT FROM {qualified(vims)} WHERE id = ${vim} AND {visible} FOR SHARE), "
        f"device AS (INSERT INTO {qualified(devices)} "
        f"({column_list(_CREATED.names)}, revision, pending_since) "
        f"SELECT {values}, 0, now() FROM template "
        f"WHERE ${vim}::uuid IS NULL OR EXISTS (SELECT FROM vim) "
        f"RETURNING {column_list(shown)}), "
        f"announced AS ({OutboxSql.of(outbox).insert_if(first_outbox, 'SELECT FROM device')}) "
        "SELECT * FROM device"
    )


async def create_device(
    driver: asyncpg.Connection,
    *,
    command: CreateDevice,
    slot_capacity: int,
    visible_to: str | None,
    outbox_rows: OutboxRows,
    shown: tuple[str, ...],
) -> dict[str, Any] | None:
    """Add the device ``command`` orders, PENDING_CREATE, with its outbox rows, in one
    statement run outside any transaction (see ``_create_sql``); the new row's ``shown``
    columns, or None when its template (or VIM) is not one ``visible_to`` sees (None: any)."""
    values = _CREATED.of(command, status=DeviceStatus.PENDING_CREATE, slot_capacity=slot_capacity)
    created = await driver.fetchrow(_create_sql(shown), *values, visible_to, *outbox_rows)
    return record_dict(created)


@functools.cache
def _device_sql(shown: tuple[str, ...]) -> str:
    return f"SELECT {column_list(shown)} FROM {qualified(devices)} WHERE id = $1"


async def device_columns(
    driver: asyncpg.Connection, device_id: uuid.UUID, shown: tuple[str, ...]
) -> dict[str, Any] | None:
    """A device's ``shown`` columns, by prepared SQL (a GET's one statement; see
    ``adapters.sql``)."""
    return record_dict(await driver.fetchrow(_device_sql(shown), device_id))


async def template_attributes(
    driver: asyncpg.Connection, template_id: uuid.UUID
) -> dict[str, str] | None:
    attributes: dict[str, str] | None = await driver.fetchval(
        f"SELECT attributes FROM {qualified(device_templates)} WHERE id = $1", template_id
    )
    return attributes


async def set_device_fields(
    conn: AsyncConnection, *, device_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(update(devices).where(devices.c.id == device_id).values(**values))


# What a snapshot changes: all but the fixed identity, template and attachments.
_SNAPSHOT = Binder(
    devices,
    [
        name
        for name in DeviceSnapshot.model_fields
        if name not in ("id", "tenant_id", "template_id", "service_contexts")
    ],
)
_FIRST_SNAPSHOT = Binder(devices, ("id", "tenant_id", "template_id", "service_contexts"))


def _update_by_revision_sql(table: Table, taken: Binder) -> str:
    """An owner's snapshot of a row ($1 its id, then the ``taken`` columns, a revision among
    them) unless a newer one is held. ``pending_since`` is cleared: the owner answered, its
    own deadline rules now."""
    return (
        f"UPDATE {qualified(table)} SET {taken.assignments(2)}, pending_since = NULL "
        f"WHERE id = $1 AND revision < ${taken.position('revision', 2)}"
    )


@functools.cache
def _snapshot_sql() -> tuple[str, str]:
    """The update by revision, and the insert-or-update of a device's first snapshot."""
    table = qualified(devices)
    update_ = _update_by_revision_sql(devices, _SNAPSHOT)
    first = len(_FIRST_SNAPSHOT.names) + 1
    taken = ", ".join(f"{name} = excluded.{name}" for name in (*_SNAPSHOT.names, "pending_since"))
    upsert = (
        f"INSERT INTO {table} AS held "
        f"({column_list((*_FIRST_SNAPSHOT.names, *_SNAPSHOT.names))}, pending_since) "
        f"VALUES ({_FIRST_SNAPSHOT.placeholders()}, {_SNAPSHOT.placeholders(first)}, NULL) "
        f"ON CONFLICT (id) DO UPDATE SET {taken} WHERE held.revision < excluded.revision"
    )
    return update_, upsert


async def apply_device_snapshot(
    driver: asyncpg.Connection, *, device: DeviceSnapshot, first: DeviceSnapshot | None = None
) -> None:
    """Take lifecycle's snapshot unless a newer one is held. A device the api did not create
    (the scheduler grew a pool) is added by the message with its first announcement
    (PENDING_CREATE: ``first``, the first state the message names, else ``device``); any
    other unknown device was deleted, and a late snapshot never resurrects it."""
    update_, upsert = _snapshot_sql()
    if (first or device).status != DeviceStatus.PENDING_CREATE:
        await driver.execute(update_, device.id, *_SNAPSHOT.of(device))
        return
    # One statement: the row the api wrote on the POST (or none, for a pool device) takes it.
    await driver.execute(upsert, *_FIRST_SNAPSHOT.of(device), *_SNAPSHOT.of(device))


async def apply_monitors(driver: asyncpg.Connection, *, event: DeviceMonitorsReported) -> None:
    await driver.execute(
        f"UPDATE {qualified(devices)} SET monitors = $2 WHERE id = $1",
        event.device_id,
        jsonb(event.monitors),
    )


async def apply_capacity(driver: asyncpg.Connection, *, event: DeviceCapacityChanged) -> None:
    await driver.execute(
        f"UPDATE {qualified(devices)} SET slot_capacity = $2, slots_used = $3, services = $4, "
        "capacity_revision = $5 WHERE id = $1 AND capacity_revision < $5",
        event.device_id,
        event.slot_capacity,
        event.slots_used,
        jsonb([str(s) for s in event.services]),
        event.capacity_revision,
    )


# --- service instances -------------------------------------------------------------------


# What a service instance POST writes of the command; the rest is fixed (see below).
_INSTANCE_CREATED = Binder(
    service_instances,
    (
        "id",
        "tenant_id",
        "name",
        "service_type_id",
        "service_table_id",
        "mgmt_driver",
        "mgmt_address",
        "service_contexts",
        "kwargs",
        "managed_by_user",
    ),
)


@functools.cache
def _add_service_instance_sql(shown: tuple[str, ...]) -> str:
    """One statement is the whole POST, a transaction of its own: the template offering
    the service type locked (shared: it cannot be deleted meanwhile), the row added
    PENDING_CREATE, on no device yet, only if every device the client asked for exists,
    the outbox rows written only if it was, and the row's ``shown`` columns returned.
    Parameters: the ``_INSTANCE_CREATED`` columns, the devices asked for, then the
    outbox's arrays."""
    stype = _INSTANCE_CREATED.position("service_type_id")
    asked = len(_INSTANCE_CREATED.names) + 1
    return (
        f"WITH template AS (SELECT t.id FROM {qualified(service_types)} st "
        f"JOIN {qualified(device_templates)} t ON t.id = st.template_id "
        f"WHERE st.id = ${stype} FOR SHARE OF t), "
        f"instance AS (INSERT INTO {qualified(service_instances)} "
        f"({column_list(_INSTANCE_CREATED.names)}, devices, status, pending_since, revision) "
        f"SELECT {_INSTANCE_CREATED.placeholders()}, '[]'::jsonb, 'PENDING_CREATE', now(), 0 "
        f"FROM template WHERE (SELECT count(*) FROM {qualified(devices)} "
        f"WHERE id = ANY(${asked}::uuid[])) = cardinality(${asked}::uuid[]) "
        f"RETURNING {column_list(shown)}), "
        f"announced AS ({OutboxSql.of(outbox).insert_if(asked + 1, 'SELECT FROM instance')}) "
        "SELECT * FROM instance"
    )


async def add_service_instance_at_once(
    driver: asyncpg.Connection,
    *,
    values: dict[str, Any],
    devices_asked: list[uuid.UUID],
    outbox_rows: OutboxRows,
    shown: tuple[str, ...],
) -> dict[str, Any] | None:
    """The new service instance (``values``: the ``_INSTANCE_CREATED`` columns) and its
    outbox rows, in one statement run outside any transaction (``_add_service_instance_sql``);
    its ``shown`` columns, or None, with nothing written, when its service type or one of
    ``devices_asked`` does not exist."""
    created = await driver.fetchrow(
        _add_service_instance_sql(shown),
        *_INSTANCE_CREATED.of(None, **values),
        devices_asked,
        *outbox_rows,
    )
    return record_dict(created)


async def set_service_instance_fields(
    conn: AsyncConnection, *, instance_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(service_instances).where(service_instances.c.id == instance_id).values(**values)
    )


# What a scheduler's snapshot changes of the api's record.
_INSTANCE_SNAPSHOT = Binder(
    service_instances, ("name", "kwargs", "devices", "status", "error_reason", "revision")
)
_INSTANCE_SNAPSHOT_SQL = _update_by_revision_sql(service_instances, _INSTANCE_SNAPSHOT)


async def apply_instance_snapshot(
    driver: asyncpg.Connection, *, instance: ServiceInstanceSnapshot
) -> None:
    """Take the scheduler's snapshot unless a newer one is held; never resurrect a row (one
    prepared statement: every placement runs it)."""
    await driver.execute(_INSTANCE_SNAPSHOT_SQL, instance.id, *_INSTANCE_SNAPSHOT.of(instance))


async def fail_unanswered(
    conn: AsyncConnection, *, table: Table, owner: str, older_than_seconds: float
) -> list[uuid.UUID]:
    """Rows the api set PENDING_* itself whose owner (lifecycle, the scheduler) has not
    answered for that long end in ERROR with the reason. The revision stays: any later
    snapshot from the owner still wins."""
    older = func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    reason = func.concat(
        table.c.status,
        f": {owner} did not take up the request within {older_than_seconds:.0f}s "
        "(its command was refused, lost or parked as a dead letter)",
    )
    rows = await conn.execute(
        update(table)
        .where(table.c.pending_since < func.now() - older)
        .values(status=DeviceStatus.ERROR, error_reason=reason, pending_since=None)
        .returning(table.c.id)
    )
    return list(rows.scalars())


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
