"""Device slots: picking the device with room, taking slots on it, giving them back.

The table's check constraint (slots_used within slot_capacity) is the last guard: whatever
the concurrency, no device is ever overbooked.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.devices import to_device
from servicevm_scheduler.adapters.orm import devices
from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.projection import Device
from shared.contracts.statuses import DeviceStatus


class SqlSlots:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def pick(self, pick: Pick, *, skip_locked: bool = False) -> Device | None:
        """The best ACTIVE device with room, fullest first (pack) or emptiest first (spread),
        locked for this transaction (``domain.choice.fits`` and ``preference``, in SQL).
        ``skip_locked`` passes over devices other placements hold (fast, but may miss room);
        otherwise it waits for them and re-checks their room. ``exclude_hosts``
        (anti-affinity) also excludes devices whose host is unknown."""
        free = devices.c.slot_capacity - devices.c.slots_used
        query = select(devices).where(
            devices.c.template_id == pick.template_id,
            devices.c.status == DeviceStatus.ACTIVE,
            free >= pick.slots,
        )
        if pick.policy.tenant_bound:
            query = query.where(
                or_(devices.c.bound_tenant.is_(None), devices.c.bound_tenant == pick.tenant_id)
            )
        if pick.exclude_devices:
            query = query.where(devices.c.id.not_in(pick.exclude_devices))
        if pick.exclude_hosts is not None:
            query = query.where(devices.c.host.is_not(None))
            if pick.exclude_hosts:
                query = query.where(devices.c.host.not_in(pick.exclude_hosts))
        order = free.asc() if pick.policy.placement == "pack" else free.desc()
        query = query.order_by(order, devices.c.id).limit(1)
        row = (await self.conn.execute(query.with_for_update(skip_locked=skip_locked))).first()
        return to_device(row) if row is not None else None

    async def reserve(
        self, *, device_id: uuid.UUID, slots: int, bind_tenant: str | None
    ) -> Device | None:
        """Take slots on a device if it still has them (None if not); the table's check
        constraint refuses any overbooking even if this condition were wrong."""
        values: dict[str, Any] = {
            "slots_used": devices.c.slots_used + slots,
            "capacity_revision": devices.c.capacity_revision + 1,
            "idle_since": None,
        }
        if bind_tenant is not None:
            values["bound_tenant"] = bind_tenant
        result = await self.conn.execute(
            update(devices)
            .where(
                devices.c.id == device_id, devices.c.slots_used + slots <= devices.c.slot_capacity
            )
            .values(**values)
            .returning(devices)
        )
        row = result.first()
        return to_device(row) if row is not None else None

    async def release(self, *, device_id: uuid.UUID, slots: int) -> Device | None:
        """Give slots back; an empty device becomes idle and free for any project again."""
        now_empty = devices.c.slots_used - slots <= 0
        result = await self.conn.execute(
            update(devices)
            .where(devices.c.id == device_id)
            .values(
                slots_used=func.greatest(devices.c.slots_used - slots, 0),
                capacity_revision=devices.c.capacity_revision + 1,
                idle_since=case((now_empty, func.now()), else_=None),
                bound_tenant=case((now_empty, None), else_=devices.c.bound_tenant),
            )
            .returning(devices)
        )
        row = result.first()
        return to_device(row) if row is not None else None
