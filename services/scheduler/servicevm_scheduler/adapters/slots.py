"""Device slots: picking the device with room, taking slots on it, giving them back.

The table's check constraint (slots_used within slot_capacity) is the last guard: whatever
the concurrency, no device is ever overbooked.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import case, func, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.devices import to_device
from servicevm_scheduler.adapters.instances import INSERT_COLUMNS, insert_params, insert_values
from servicevm_scheduler.adapters.orm import devices
from servicevm_scheduler.adapters.raw import Raw
from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device, Remembered

# The columns of a ``Device``, as the placement statements return them.
_DEVICE = "id, tenant_id, template_id, status, slot_capacity, slots_used, host, bound_tenant, "
_DEVICE += "capacity_revision"

# ``domain.choice.fits`` and ``preference`` in one statement, for every pick: a rule that
# does not apply gets NULL (tenant, hosts) or an empty list (devices). The literal 'ACTIVE'
# and the ORDER BY match the partial indexes ix_scheduler_devices_pack / _spread, so the
# best device is the first index entry that qualifies, whatever the number of ties.
_PICK = (
    f"SELECT {_DEVICE} FROM scheduler.devices "
    "WHERE template_id = $1 AND status = 'ACTIVE' AND slot_capacity - slots_used >= $2 "
    "AND ($3::text IS NULL OR bound_tenant IS NULL OR bound_tenant = $3) "
    "AND id <> ALL($4::uuid[]) "
    "AND ($5::text[] IS NULL OR (host IS NOT NULL AND host <> ALL($5::text[]))) {also}"
    "ORDER BY slot_capacity - slots_used {order}, id LIMIT 1 FOR UPDATE {skip}"
)
_PICKS = {
    (placement, skip_locked): _PICK.format(
        order="ASC" if placement == "pack" else "DESC",
        skip="SKIP LOCKED" if skip_locked else "",
        also="",
    )
    for placement in ("pack", "spread")
    for skip_locked in (False, True)
}

# Reserve the slots (if the device still has them), bind the instance, and read who else is
# bound there: one round trip. The ARRAY reads the snapshot from before this statement,
# so it lacks the new binding (``take`` adds it).
_TAKE = (
    "WITH reserved AS (UPDATE scheduler.devices SET slots_used = slots_used + $2, "
    "capacity_revision = capacity_revision + 1, idle_since = NULL, "
    "bound_tenant = coalesce($3, bound_tenant) "
    f"WHERE id = $1 AND slots_used + $2 <= slot_capacity RETURNING {_DEVICE}), "
    "bound AS (INSERT INTO scheduler.bindings (service_instance_id, device_id, slots, position) "
    "SELECT $4, id, $2, $5 FROM reserved) "
    "SELECT reserved.*, ARRAY(SELECT service_instance_id FROM scheduler.bindings b "
    "WHERE b.device_id = reserved.id) AS services FROM reserved"
)

# A pick (skipping locked devices) and ``_TAKE`` on what it found, in one statement: the
# fast path of a single-device placement. $1-$5 as in ``_PICK``; $6 bind tenant, $7 the
# instance, $8 its position. The pick's row lock is taken before the UPDATE reads the room.
_PICK_AND_RESERVE = (
    "WITH picked AS ({pick}), "
    "reserved AS (UPDATE scheduler.devices d SET slots_used = d.slots_used + $2, "
    "capacity_revision = d.capacity_revision + 1, idle_since = NULL, "
    "bound_tenant = coalesce($6, d.bound_tenant) FROM picked "
    "WHERE d.id = picked.id AND d.slots_used + $2 <= d.slot_capacity "
    f"RETURNING {', '.join(f'd.{c.strip()}' for c in _DEVICE.split(','))}), "
)
_BIND_RESERVED = (
    "bound AS (INSERT INTO scheduler.bindings (service_instance_id, device_id, slots, position) "
    "SELECT {instance}, reserved.id, $2, $8 FROM {sources}) "
    "SELECT reserved.*, ARRAY(SELECT service_instance_id FROM scheduler.bindings b "
    "WHERE b.device_id = reserved.id) AS services FROM reserved"
)
_PICKS_AND_TAKES = {
    placement: _PICK_AND_RESERVE.format(pick=_PICKS[(placement, True)])
    + _BIND_RESERVED.format(instance="$7", sources="reserved")
    for placement in ("pack", "spread")
}

# ``_PICK_AND_TAKE`` for a new instance, inserted by the same statement once a device is
# reserved (a new instance placed at once is stored once, bound; $7 is its id). When the
# instance exists already (a redelivered command) the pick finds nothing, so nothing is
# taken twice; nor does it when the template is no longer as remembered.
# Its columns' values take $9 onwards; then the service type and template as remembered
# (``Remembered``), which the pick checks in the statement's own snapshot.
_SEEN = 9 + len(INSERT_COLUMNS.split(", "))
_NEW_INSTANCE = (
    "AND NOT EXISTS (SELECT 1 FROM scheduler.service_instances WHERE id = $7) "
    "AND EXISTS (SELECT 1 FROM scheduler.service_types s JOIN scheduler.templates t "
    f"ON t.id = s.template_id WHERE s.id = ${_SEEN} AND s.template_id = $1 "
    f"AND s.service_type = ${_SEEN + 1} AND t.tenant_id = ${_SEEN + 2} "
    f"AND t.attributes = ${_SEEN + 3}::jsonb) "
)
_ADDS_AND_TAKES = {
    placement: _PICK_AND_RESERVE.format(
        pick=_PICK.format(
            order="ASC" if placement == "pack" else "DESC", skip="SKIP LOCKED", also=_NEW_INSTANCE
        )
    )
    + "added AS (INSERT INTO scheduler.service_instances "
    + f"(id, {INSERT_COLUMNS}) SELECT $7, {insert_values(9)} FROM reserved RETURNING id), "
    + _BIND_RESERVED.format(instance="added.id", sources="added, reserved")
    for placement in ("pack", "spread")
}


class SqlSlots:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.raw = Raw(conn)

    async def pick(self, pick: Pick, *, skip_locked: bool = False) -> Device | None:
        """The best ACTIVE device with room, fullest first (pack) or emptiest first (spread),
        locked for this transaction (``domain.choice.fits`` and ``preference``, in SQL).
        ``skip_locked`` passes over devices other placements hold (fast, but may miss room);
        otherwise it waits for them and re-checks their room. ``exclude_hosts``
        (anti-affinity) also excludes devices whose host is unknown."""
        driver = await self.raw()
        row = await driver.fetchrow(_PICKS[(pick.policy.placement, skip_locked)], *_pick_args(pick))
        return Device(**row) if row is not None else None

    async def take(
        self,
        *,
        device_id: uuid.UUID,
        slots: int,
        bind_tenant: str | None,
        instance_id: uuid.UUID,
        position: int,
    ) -> tuple[Device, list[uuid.UUID]] | None:
        """Reserve the slots (if the device still has them) and bind the instance there in one
        statement: the device as updated
        and the instances it now hosts (None, and nothing bound, if the room was gone)."""
        driver = await self.raw()
        row = await driver.fetchrow(_TAKE, device_id, slots, bind_tenant, instance_id, position)
        return _taken(row, instance_id)

    async def pick_and_take(
        self, pick: Pick, *, bind_tenant: str | None, instance_id: uuid.UUID, position: int
    ) -> tuple[Device, list[uuid.UUID]] | None:
        """``pick`` (skipping locked devices) and ``take`` on the device found, in one round
        trip; None, and nothing taken, when no unlocked device has the room."""
        driver = await self.raw()
        row = await driver.fetchrow(
            _PICKS_AND_TAKES[pick.policy.placement],
            *_pick_args(pick),
            bind_tenant,
            instance_id,
            position,
        )
        return _taken(row, instance_id)

    async def add_and_take(
        self, instance: ServiceInstance, pick: Pick, *, bind_tenant: str | None, seen: Remembered
    ) -> tuple[Device, list[uuid.UUID]] | None:
        """``pick_and_take`` for a new instance, stored by the same statement (as
        ``instances.add`` would store it) only once a device is reserved for it; None, and
        nothing stored or taken, when no unlocked device has the room, the instance exists,
        or the service type's template is no longer as ``seen``."""
        driver = await self.raw()
        row = await driver.fetchrow(
            _ADDS_AND_TAKES[pick.policy.placement],
            *_pick_args(pick),
            bind_tenant,
            instance.id,
            0,
            *insert_params(instance),
            seen.service_type_id,
            seen.service_type,
            seen.template.tenant_id,
            json.dumps(seen.attributes),
        )
        return _taken(row, instance.id)

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


def _pick_args(pick: Pick) -> list[Any]:
    return [
        pick.template_id,
        pick.slots,
        pick.tenant_id if pick.policy.tenant_bound else None,
        list(pick.exclude_devices),
        None if pick.exclude_hosts is None else list(pick.exclude_hosts),
    ]


def _taken(row: Any, instance_id: uuid.UUID) -> tuple[Device, list[uuid.UUID]] | None:
    """The device as a take left it, and the instances it hosts (the new one included: the
    statement's ARRAY read the snapshot from before its own INSERT)."""
    if row is None:
        return None
    fields = dict(row)
    services: list[uuid.UUID] = fields.pop("services")
    return Device(**fields), sorted([*services, instance_id])
