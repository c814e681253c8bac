"""Reading and writing mgmt's tables."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import managed_devices


async def record_configuration(
    conn: AsyncConnection,
    *,
    device_id: uuid.UUID,
    tenant_id: str,
    mgmt_driver: str,
    mgmt_address: str | None,
    configuration: dict[str, Any],
    parameters: dict[str, str],
) -> None:
    values = {
        "mgmt_driver": mgmt_driver,
        "mgmt_address": mgmt_address,
        "configuration": configuration,
        "parameters": parameters,
        "configured_at": func.now(),
    }
    await conn.execute(
        pg_insert(managed_devices)
        .values(id=device_id, tenant_id=tenant_id, **values)
        .on_conflict_do_update(index_elements=[managed_devices.c.id], set_=values)
    )


async def forget_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(delete(managed_devices).where(managed_devices.c.id == device_id))


async def get_managed_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (
        await conn.execute(select(managed_devices).where(managed_devices.c.id == device_id))
    ).first()
    return row
