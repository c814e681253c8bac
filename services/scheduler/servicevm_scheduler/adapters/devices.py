"""The projection of lifecycle's devices: taking their snapshots, reading them back."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import devices
from servicevm_scheduler.adapters.raw import Raw, cast
from servicevm_scheduler.domain.projection import Device
from shared.contracts.models import DeviceSnapshot
from shared.contracts.statuses import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy

# The projection's columns that a snapshot carries (the rest are the scheduler's own:
# slots, pool membership, ...), in the order of the statement's parameters from $2.
_SNAPSHOT_COLUMNS = sorted(set(devices.c.keys()) & DeviceSnapshot.model_fields.keys() - {"id"})
_REVISION = f"${_SNAPSHOT_COLUMNS.index('revision') + 2}"
_TEMPLATE = f"${_SNAPSHOT_COLUMNS.index('template_id') + 2}"
_DEFAULT_CAPACITY = f"${len(_SNAPSHOT_COLUMNS) + 2}"
_FIRST_STATUS = f"${len(_SNAPSHOT_COLUMNS) + 3}::text"
_VALUES = ", ".join(cast(n, devices.c[name]) for n, name in enumerate(_SNAPSHOT_COLUMNS, start=2))

# ``apply`` in one round trip: a first announcement (the message's first state is
# PENDING_CREATE, the last parameter) of an unknown device adds it in the message's latest
# state (slot capacity from its template, if known); a known device takes a newer snapshot,
# the status it replaces read from the row the UPDATE locks. The two CTEs see the same
# snapshot, so at most one of them writes. '' for an added device, the replaced status, or
# NULL when the snapshot was stale or its (deleted) device unknown.
_APPLY = (
    f"WITH added AS (INSERT INTO scheduler.devices (id, {', '.join(_SNAPSHOT_COLUMNS)}, "
    f"slot_capacity, updated_at) SELECT $1, {_VALUES}, coalesce((SELECT slot_capacity "
    f"FROM scheduler.templates WHERE id = {_TEMPLATE}), {_DEFAULT_CAPACITY}), now() "
    f"WHERE {_FIRST_STATUS} = '{DeviceStatus.PENDING_CREATE}' "
    "ON CONFLICT DO NOTHING RETURNING id), "
    "old AS (SELECT id, status FROM scheduler.devices WHERE id = $1 FOR UPDATE), "
    "changed AS (UPDATE scheduler.devices d SET "
    + ", ".join(f"{name} = ${n}" for n, name in enumerate(_SNAPSHOT_COLUMNS, start=2))
    + f", updated_at = now() FROM old WHERE d.id = old.id AND d.revision < {_REVISION} "
    "RETURNING old.status) "
    "SELECT coalesce((SELECT '' FROM added), (SELECT status FROM changed))"
)


def to_device(row: Row[Any]) -> Device:
    return Device(**{f.name: row._mapping[f.name] for f in dataclasses.fields(Device)})


class SqlDevices:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    async def apply(
        self, *, device: DeviceSnapshot, first: DeviceSnapshot | None = None
    ) -> str | None:
        """Take the snapshot unless a newer one is held; the status it replaced ('' for a
        device added), or None if the snapshot was stale. Only the message with a device's
        first announcement (PENDING_CREATE: ``first``, the first state the message names,
        else ``device``) adds it: any other unknown device was deleted, and a late snapshot
        must not bring it back."""
        values = [getattr(device, name) for name in _SNAPSHOT_COLUMNS]
        default_capacity = TemplatePolicy().slot_capacity
        first_status = (first or device).status
        driver = await self.raw()
        previous: str | None = await driver.fetchval(
            _APPLY, device.id, *values, default_capacity, first_status
        )
        return previous

    async def get(self, *, device_id: uuid.UUID, for_update: bool = False) -> Device | None:
        query = select(devices).where(devices.c.id == device_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return to_device(row) if row is not None else None

    async def remove(self, *, device_id: uuid.UUID) -> None:
        await self.conn.execute(delete(devices).where(devices.c.id == device_id))

    async def hosts_of(self, *, device_ids: list[uuid.UUID]) -> list[str]:
        if not device_ids:
            return []
        rows = await self.conn.execute(
            select(devices.c.host).where(devices.c.id.in_(device_ids), devices.c.host.is_not(None))
        )
        return [host for host in rows.scalars() if host is not None]
