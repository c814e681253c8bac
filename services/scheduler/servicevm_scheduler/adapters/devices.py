"""The projection of lifecycle's devices: taking their snapshots, reading them back."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.orm import devices, templates
from servicevm_scheduler.domain.projection import Device
from shared.contracts.models import DeviceSnapshot
from shared.contracts.statuses import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy

# The projection's columns that a snapshot carries (the rest are the scheduler's own:
# slots, pool membership, ...).
_SNAPSHOT_COLUMNS: set[str] = set(devices.c.keys()) & DeviceSnapshot.model_fields.keys() - {"id"}


def to_device(row: Row[Any]) -> Device:
    return Device(**{f.name: row._mapping[f.name] for f in dataclasses.fields(Device)})


class SqlDevices:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def apply(self, *, device: DeviceSnapshot) -> str | None:
        """Take the snapshot unless a newer one is held; the status it replaced, or None if
        the snapshot was stale. Only a device's first announcement (PENDING_CREATE) adds it:
        any other unknown device was deleted, and a late snapshot must not bring it back."""
        values = {**device.model_dump(include=_SNAPSHOT_COLUMNS), "updated_at": func.now()}
        if device.status == DeviceStatus.PENDING_CREATE and await self._add(device, values):
            return ""
        # One statement: the status it replaces comes from the row locked in the same UPDATE.
        old = (
            select(devices.c.id, devices.c.status)
            .where(devices.c.id == device.id)
            .with_for_update()
            .subquery("old")
        )
        previous: str | None = await self.conn.scalar(
            update(devices)
            .where(devices.c.id == old.c.id, devices.c.revision < device.revision)
            .values(**values)
            .returning(old.c.status)
        )
        return previous

    async def _add(self, device: DeviceSnapshot, values: dict[str, Any]) -> bool:
        """Add a device first announced; False when it is known already."""
        capacity = (
            select(templates.c.slot_capacity)
            .where(templates.c.id == device.template_id)
            .scalar_subquery()
        )
        added = await self.conn.scalar(
            pg_insert(devices)
            .values(
                id=device.id,
                slot_capacity=func.coalesce(capacity, TemplatePolicy().slot_capacity),
                **values,
            )
            .on_conflict_do_nothing()
            .returning(devices.c.id)
        )
        return added is not None

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
