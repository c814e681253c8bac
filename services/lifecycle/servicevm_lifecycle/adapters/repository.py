"""Reading and writing lifecycle's tables. Keyword-only arguments, domain objects out.

The device row's statements run on every device message (several times per message on the
VNF path): they are SQL written once (``DeviceSql``), run on the asyncpg connection under
the SQLAlchemy one, in its transaction. Through SQLAlchemy Core each cost a statement
build, a cache-key walk and result processing, several times the asyncpg call itself.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import (
    device_service_contexts,
    device_template_attributes,
    device_templates,
    devices,
    service_types,
)
from servicevm_lifecycle.domain.model import Device
from shared.contracts.models import DeviceTemplateSnapshot, ServiceContext, ServiceTypeRef
from shared.db.raw import Driver, qualified

CONTEXT_FIELDS = ("network_id", "subnet_id", "port_id", "router_id", "role", "index")


async def add_template(conn: AsyncConnection, *, template: DeviceTemplateSnapshot) -> bool:
    """Insert the template; False if it was already there (a redelivered command)."""
    result = await conn.execute(
        pg_insert(device_templates)
        .values(
            id=template.id,
            tenant_id=template.tenant_id,
            name=template.name,
            description=template.description,
            device_driver=template.device_driver,
            mgmt_driver=template.mgmt_driver,
            vim_id=template.vim_id,
        )
        .on_conflict_do_nothing()
    )
    if result.rowcount == 0:
        return False
    if template.service_types:
        await conn.execute(
            insert(service_types),
            [
                {"id": ref.id, "template_id": template.id, "service_type": ref.service_type}
                for ref in template.service_types
            ],
        )
    if template.attributes:
        await conn.execute(
            insert(device_template_attributes),
            [
                {"template_id": template.id, "key": k, "value": v}
                for k, v in template.attributes.items()
            ],
        )
    return True


async def get_template(
    conn: AsyncConnection, *, template_id: uuid.UUID
) -> DeviceTemplateSnapshot | None:
    """One round trip: the template with its service types and attributes aggregated."""
    types = (
        select(
            func.coalesce(
                func.json_agg(
                    func.json_build_object(
                        "id", service_types.c.id, "service_type", service_types.c.service_type
                    )
                ),
                literal_column("'[]'::json"),
            )
        )
        .where(service_types.c.template_id == device_templates.c.id)
        .scalar_subquery()
    )
    attrs = (
        select(
            func.coalesce(
                func.json_object_agg(
                    device_template_attributes.c.key, device_template_attributes.c.value
                ),
                literal_column("'{}'::json"),
            )
        )
        .where(device_template_attributes.c.template_id == device_templates.c.id)
        .scalar_subquery()
    )
    query = select(device_templates, types.label("types"), attrs.label("attrs")).where(
        device_templates.c.id == template_id
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return DeviceTemplateSnapshot(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        device_driver=row.device_driver,
        mgmt_driver=row.mgmt_driver,
        service_types=[ServiceTypeRef(**ref) for ref in row.types],
        attributes=row.attrs,
        vim_id=row.vim_id,
    )


async def rename_template(
    conn: AsyncConnection, *, template_id: uuid.UUID, name: str, description: str
) -> None:
    await conn.execute(
        update(device_templates)
        .where(device_templates.c.id == template_id)
        .values(name=name, description=description)
    )


async def template_in_use(conn: AsyncConnection, *, template_id: uuid.UUID) -> bool:
    count = await conn.scalar(
        select(func.count()).select_from(devices).where(devices.c.template_id == template_id)
    )
    return bool(count)


async def delete_template(conn: AsyncConnection, *, template_id: uuid.UUID) -> None:
    await conn.execute(delete(device_templates).where(device_templates.c.id == template_id))


async def add_device(conn: AsyncConnection, *, device: Device) -> bool:
    """Insert the device; False if it was already there (a redelivered command)."""
    driver = await _driver(conn)
    added = await driver.fetchval(DeviceSql.get().insert, *_insert_args(device))
    if added is None:
        return False
    await _add_contexts(conn, device)
    return True


async def add_device_of_template(conn: AsyncConnection, *, device: Device) -> bool:
    """Insert the device if its template is still recorded and the device is not; False
    otherwise (then look at both). The template check rides on the insert, so a template
    read from a cache is proven to exist in the same statement."""
    driver = await _driver(conn)
    added = await driver.fetchval(DeviceSql.get().insert_of_template, *_insert_args(device))
    if added is None:
        return False
    await _add_contexts(conn, device)
    return True


async def _add_contexts(conn: AsyncConnection, device: Device) -> None:
    if device.service_contexts:
        await conn.execute(
            insert(device_service_contexts),
            [
                {"device_id": device.id, "position": position, **context.model_dump()}
                for position, context in enumerate(device.service_contexts)
            ],
        )


async def get_device(
    conn: AsyncConnection, *, device_id: uuid.UUID, for_update: bool = False
) -> Device | None:
    """One round trip: the device with its service contexts, in their order."""
    found = await get_device_and_template(conn, device_id=device_id, for_update=for_update)
    return None if found is None else found.device


@dataclass(frozen=True)
class DeviceAndTemplate:
    device: Device
    # Whether the device's template is still recorded (read with the device, so a template
    # taken from a cache is known to exist in this transaction).
    template_exists: bool


async def get_device_and_template(
    conn: AsyncConnection, *, device_id: uuid.UUID, for_update: bool = False
) -> DeviceAndTemplate | None:
    sql = DeviceSql.get()
    driver = await _driver(conn)
    row = await driver.fetchrow(sql.select_for_update if for_update else sql.select, device_id)
    if row is None:
        return None
    device = Device(
        id=row["id"],
        tenant_id=row["tenant_id"],
        template_id=row["template_id"],
        kwargs=row["kwargs"],
        service_contexts=[ServiceContext(**context) for context in row["contexts"]],
        status=row["status"],
        instance_id=row["instance_id"],
        mgmt_address=row["mgmt_address"],
        host=row["host"],
        availability_zone=row["availability_zone"],
        vim_id=row["vim_id"],
        error_reason=row["error_reason"],
        revision=row["revision"],
    )
    return DeviceAndTemplate(device, template_exists=row["template_exists"])


async def save_device(conn: AsyncConnection, *, device: Device) -> None:
    driver = await _driver(conn)
    await driver.execute(
        DeviceSql.get().update,
        device.id,
        device.instance_id,
        device.mgmt_address,
        device.host,
        device.availability_zone,
        json.dumps(device.kwargs),
        device.status,
        device.error_reason,
        device.revision,
    )


async def _driver(conn: AsyncConnection) -> asyncpg.Connection:
    return await (await Driver.under(conn)).in_transaction()


def _insert_args(device: Device) -> tuple[Any, ...]:
    return (
        device.id,
        device.tenant_id,
        device.template_id,
        device.instance_id,
        device.mgmt_address,
        device.host,
        device.availability_zone,
        device.vim_id,
        json.dumps(device.kwargs),
        device.status,
        device.error_reason,
        device.revision,
    )


@dataclass(frozen=True)
class DeviceSql:
    """The device row's statements, built once (``get`` is cached)."""

    insert: str
    insert_of_template: str
    select: str
    select_for_update: str
    update: str

    @classmethod
    @functools.cache
    def get(cls) -> DeviceSql:
        table, contexts, templates = (
            qualified(devices),
            qualified(device_service_contexts),
            qualified(device_templates),
        )
        columns = (
            "id, tenant_id, template_id, instance_id, mgmt_address, host, availability_zone, "
            "vim_id, kwargs, status, error_reason, revision"
        )
        # Typed: in INSERT ... SELECT the parameters take no type from the columns.
        values = (
            "$1::uuid, $2::text, $3::uuid, $4::text, $5::text, $6::text, $7::text, $8::uuid, "
            "$9::jsonb, $10::text, $11::text, $12::int"
        )
        context_json = ", ".join(f"'{name}', c.{name}" for name in CONTEXT_FIELDS)
        select = (
            f"SELECT d.*, COALESCE((SELECT json_agg(json_build_object({context_json}) "
            f"ORDER BY c.position) FROM {contexts} c WHERE c.device_id = d.id), '[]'::json) "
            f"AS contexts, EXISTS (SELECT 1 FROM {templates} t WHERE t.id = d.template_id) "
            f"AS template_exists FROM {table} d WHERE d.id = $1"
        )
        return cls(
            insert=f"INSERT INTO {table} ({columns}) VALUES ({values}) "
            "ON CONFLICT DO NOTHING RETURNING true",
            insert_of_template=f"INSERT INTO {table} ({columns}) SELECT {values} "
            f"WHERE EXISTS (SELECT 1 FROM {templates} WHERE id = $3) "
            "ON CONFLICT DO NOTHING RETURNING true",
            select=select,
            select_for_update=f"{select} FOR UPDATE OF d",
            update=f"UPDATE {table} SET instance_id = $2, mgmt_address = $3, host = $4, "
            "availability_zone = $5, kwargs = $6::jsonb, status = $7, error_reason = $8, "
            "revision = $9, updated_at = now() WHERE id = $1",
        )


async def record_instance(conn: AsyncConnection, *, device_id: uuid.UUID, instance_id: str) -> None:
    """Only the instance id: whatever else happened to the device meanwhile stands."""
    await conn.execute(
        update(devices)
        .where(devices.c.id == device_id)
        .values(instance_id=instance_id, updated_at=func.now())
    )


async def delete_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(devices).where(devices.c.id == device_id))


async def count_devices_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status))
    return {status: count for status, count in rows}


async def lock_stale_pending_devices(
    conn: AsyncConnection, *, statuses: tuple[str, ...], older_than_seconds: float, limit: int = 100
) -> list[uuid.UUID]:
    """Pending devices untouched for that long, locked; rows a handler holds are skipped."""
    rows = await conn.execute(
        select(devices.c.id)
        .where(
            devices.c.status.in_(statuses),
            devices.c.updated_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds),
        )
        .order_by(devices.c.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())
