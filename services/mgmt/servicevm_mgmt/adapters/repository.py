"""Reading and writing mgmt's tables."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import managed_devices
from servicevm_mgmt.monitoring.tables import hosted_services, monitored_devices
from shared.db.raw import Driver, qualified


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under ``conn``, in its transaction: for the statements every
    device runs, written once as SQL (asyncpg prepares each once per connection), which
    through SQLAlchemy Core cost a statement build and a cache-key walk per call."""
    return await (await Driver.under(conn)).in_transaction()


def _record_configuration_sql() -> str:
    devices, monitors = qualified(managed_devices), qualified(monitored_devices)
    updated = ("mgmt_driver", "mgmt_address", "configuration", "parameters", "configured_at")
    return (
        f"WITH unmonitored AS (DELETE FROM {monitors} WHERE device_id = $1) "
        f"INSERT INTO {devices} (id, tenant_id, {', '.join(updated)}) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, now()) "
        "ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in updated)
    )


_RECORD_CONFIGURATION = _record_configuration_sql()


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
    """Remember how the device is configured now; in the same statement its monitors go:
    a (re)configured device is probed afresh, by the monitors ``monitoring.store.register``
    adds after this (none, for most devices: then this is the device's only statement)."""
    driver = await driver_of(conn)
    await driver.execute(
        _RECORD_CONFIGURATION,
        device_id,
        tenant_id,
        mgmt_driver,
        mgmt_address,
        json.dumps(configuration),
        json.dumps(parameters),
    )


def _forget_device_sql() -> str:
    monitors, hosted = qualified(monitored_devices), qualified(hosted_services)
    return (
        f"WITH unmonitored AS (DELETE FROM {monitors} WHERE device_id = $1), "
        f"unhosted AS (DELETE FROM {hosted} WHERE device_id = $1) "
        f"DELETE FROM {qualified(managed_devices)} WHERE id = $1"
    )


_FORGET_DEVICE = _forget_device_sql()


async def forget_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    """A deleted device: its configuration, its monitors and the service instances it
    hosted are forgotten, in one statement."""
    driver = await driver_of(conn)
    await driver.execute(_FORGET_DEVICE, device_id)


async def get_managed_device(conn: AsyncConnection, *, device_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (
        await conn.execute(select(managed_devices).where(managed_devices.c.id == device_id))
    ).first()
    return row
