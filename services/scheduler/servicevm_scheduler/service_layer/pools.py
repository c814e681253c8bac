"""Growing a template's pool of devices for the instances waiting, shrinking it when idle."""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler.domain import pool
from servicevm_scheduler.domain.projection import Template
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts import commands

log = logging.getLogger(__name__)


async def grow(s: Scheduling, template: Template, *, waiting_slots: int) -> int:
    """Ask lifecycle for the devices the pool lacks; how many were asked for.

    Never waits for the template's lock: a placement holding device rows must not wait
    for a transaction that may be waiting for those rows. If another transaction holds the
    lock, it (or the pool keeper, within a reconcile interval) decides on growth instead."""
    policy = template.policy
    if not policy.can_grow or not pool.may_need_devices(policy, waiting_slots):
        return 0
    if waiting_slots == 0 and await s.pools.has_free_slots(
        template_id=template.id, slots=policy.desired_slots_free
    ):
        # The common case after a placement: the desired free slots are there (a look at a
        # few devices, not the whole pool). Deciding not to grow acts on nothing, so it needs
        # no lock; a placement beside this one may leave fewer, and then, as when another
        # holds the lock, the next placement or the pool keeper decides.
        return 0
    if not await s.templates.try_lock(template_id=template.id):
        return 0
    state = await s.pools.state(template_id=template.id, waiting_slots=waiting_slots)
    count = pool.devices_to_create(template.policy, state)
    for _ in range(count):
        await _ask_for_device(s, template)
    if count:
        log.info("growing a pool", extra={"template_id": str(template.id), "devices": count})
    return count


async def _ask_for_device(s: Scheduling, template: Template) -> None:
    device_id = uuid.uuid4()
    await s.pools.add_device(
        device_id=device_id,
        tenant_id=template.tenant_id,
        template_id=template.id,
        slot_capacity=template.policy.slot_capacity,
    )
    create = commands.CreateDevice(
        id=device_id,
        tenant_id=template.tenant_id,
        template_id=template.id,
        kwargs={},
        service_contexts=[],
    )
    await s.outbox.publish(create, tenant_id=template.tenant_id)


async def shrink(s: Scheduling, template: Template, *, idle_seconds: float) -> int:
    """Release the pool's idle devices beyond the desired free slots; how many."""
    waiting = await s.waiting.slots(template_id=template.id, policy=template.policy)
    state = await s.pools.state(template_id=template.id, waiting_slots=waiting)
    idle = await s.pools.idle_devices(template_id=template.id, idle_seconds=idle_seconds)
    released = pool.devices_to_release(template.policy, state, idle)
    for device_id in released:
        await s.pools.mark_releasing(device_id=device_id)
        await s.outbox.publish(commands.DeleteDevice(id=device_id), tenant_id=template.tenant_id)
    if released:
        log.info(
            "releasing idle pool devices",
            extra={"template_id": str(template.id), "devices": len(released)},
        )
    return len(released)
