"""Placing service instances onto device slots, inside the caller's unit of work.

A placement first tries the fast path: the best device no other placement is holding,
locked with SKIP LOCKED, so concurrent placements take different devices and commit side
by side. Only when that finds no room does it take the template's advisory lock
(``repo.lock_template``) and look again, waiting for the devices others hold: "no room",
"wait for the pool" and "grow the pool" are decided under that lock, on a state no one
else is deciding on. A device row is always locked before its slots are counted, and the
table's check constraint is the last guard: no device is ever overbooked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Row

from servicevm_scheduler.adapters import repository as repo
from servicevm_scheduler.domain import pool
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts import commands, events
from shared.contracts.events import Operation
from shared.contracts.models import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from shared.db.uow import UnitOfWork

S = DeviceStatus
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    """Devices chosen for an instance (with the slots each must give), or why there are none."""

    devices: list[tuple[Row[Any], int, TemplatePolicy]]
    refusal: str | None = None


@dataclass(frozen=True)
class Outcome:
    instance: ServiceInstance
    # Slots the instance now waits for (0 when placed or failed).
    waiting_slots: int = 0
    # The template whose devices it waits for, when it waits for room.
    waits_for: uuid.UUID | None = None


# --- announcing --------------------------------------------------------------------------


async def announce(uow: UnitOfWork, instance: ServiceInstance) -> None:
    await uow.publish(
        events.ServiceInstanceStatusChanged(
            instance=instance.snapshot(), previous_status=instance.previous_status
        ),
        tenant_id=instance.tenant_id,
    )


async def save_and_announce(
    uow: UnitOfWork, instance: ServiceInstance, *, waiting: bool = False
) -> None:
    await repo.save_instance(uow.conn, instance=instance, waiting=waiting)
    await announce(uow, instance)


async def fail(uow: UnitOfWork, instance: ServiceInstance, reason: str) -> ServiceInstance:
    log.warning(
        "service instance failed", extra={"service_instance_id": str(instance.id), "reason": reason}
    )
    failed = instance.transition(S.ERROR, error_reason=reason)
    await save_and_announce(uow, failed)
    return failed


async def publish_capacity(uow: UnitOfWork, device: Row[Any]) -> None:
    services = await repo.device_services(uow.conn, device_id=device.id)
    await uow.publish(
        events.DeviceCapacityChanged(
            device_id=device.id,
            tenant_id=device.tenant_id,
            template_id=device.template_id,
            slot_capacity=device.slot_capacity,
            slots_used=device.slots_used,
            services=services,
            capacity_revision=device.capacity_revision,
        ),
        tenant_id=device.tenant_id,
    )


async def publish_placed(
    uow: UnitOfWork, instance: ServiceInstance, service_type: str, operation: Operation
) -> None:
    await uow.publish(
        events.ServiceInstancePlaced(
            instance_id=instance.id,
            tenant_id=instance.tenant_id,
            operation=operation,
            mgmt_driver=instance.mgmt_driver,
            devices=instance.devices,
            configuration=instance.configuration(service_type),
        ),
        tenant_id=instance.tenant_id,
    )


# --- placing -----------------------------------------------------------------------------


async def place_or_wait(
    uow: UnitOfWork, instance: ServiceInstance, *, waiting_before: int | None = None
) -> Outcome:
    """Place a PENDING_CREATE instance now, or let it wait for a device the pool is growing,
    or fail it with the reason. ``waiting_before``: slots already waited for by older
    instances of its template (first come, first served); None counts them all."""
    found = await repo.service_type(uow.conn, service_type_id=instance.service_type_id)
    if found is None:
        # Serialized with the template's arrival (which takes this lock before the
        # template's): either its rows are visible after the lock, or this wait is
        # committed before it looks for waiting instances.
        await repo.lock_service_type(uow.conn, service_type_id=instance.service_type_id)
        found = await repo.service_type(uow.conn, service_type_id=instance.service_type_id)
    if found is None:
        # Its template's event has not reached the scheduler yet: wait for it.
        await repo.save_instance(uow.conn, instance=instance, waiting=True)
        return Outcome(instance, waiting_slots=0)
    template_id, service_type = found
    template = await repo.get_template(uow.conn, template_id=template_id)
    assert template is not None  # service types are deleted with their template
    policy = template.policy
    need = policy.slots_for(service_type)
    if need > policy.slot_capacity:
        reason = (
            f"service type {service_type} needs {need} slot(s) but a device of template "
            f"{template_id} has only {policy.slot_capacity}"
        )
        return Outcome(await fail(uow, instance, reason))
    seen: pool.PoolState | None = None
    if instance.requested_devices:
        choice = await _requested_devices(uow, instance, service_type)
    else:
        choice = await _best_devices(
            uow, instance, template_id, policy, need, exclude=[], skip_locked=True
        )
        if choice.refusal is not None:
            await repo.lock_template(uow.conn, template_id=template_id)
            choice, seen = await _look_again(uow, instance, template_id, policy, need)
    if choice.refusal is None:
        placed = await _bind(uow, instance, choice)
        await publish_placed(uow, placed, service_type, "create")
        await grow(uow, template, waiting_slots=0)
        return Outcome(placed)
    if instance.requested_devices or seen is None:
        return Outcome(await fail(uow, instance, choice.refusal))
    return await _wait_or_fail(uow, instance, template, need, choice.refusal, seen, waiting_before)


async def _look_again(
    uow: UnitOfWork,
    instance: ServiceInstance,
    template_id: uuid.UUID,
    policy: TemplatePolicy,
    need: int,
) -> tuple[Choice, pool.PoolState]:
    """Under the template's lock, wait for the devices others hold and look again. A device
    can turn ACTIVE between two statements (its projection does not take this lock), so the
    pool is read after each failed pick: free slots there mean pick once more; otherwise
    that reading, in which any device not yet ACTIVE still counts as coming, decides."""
    retried = False
    while True:
        choice = await _best_devices(uow, instance, template_id, policy, need, exclude=[])
        state = await repo.pool_state(uow.conn, template_id=template_id, waiting_slots=0)
        if choice.refusal is None or state.free_slots < need or retried:
            return choice, state
        retried = True


async def _wait_or_fail(
    uow: UnitOfWork,
    instance: ServiceInstance,
    template: repo.Template,
    need: int,
    refusal: str,
    seen: pool.PoolState,
    waiting_before: int | None,
) -> Outcome:
    """``seen``: the pool as the last failed pick left it (the one reading that decides)."""
    policy = template.policy
    if waiting_before is None:
        waiting_before = await repo.waiting_slots(
            uow.conn, template_id=template.id, policy=policy, excluding=instance.id
        )
    state = replace(seen, waiting_slots=waiting_before)
    wanted = need * instance.bindings_wanted
    if not pool.can_wait_for(policy, state, wanted):
        return Outcome(await fail(uow, instance, _no_room_reason(refusal, template, state)))
    await repo.save_instance(uow.conn, instance=instance, waiting=True)
    await grow(uow, template, waiting_slots=waiting_before + wanted)
    log.info("service instance waits for room", extra={"service_instance_id": str(instance.id)})
    return Outcome(instance, waiting_slots=wanted, waits_for=template.id)


def _no_room_reason(refusal: str, template: repo.Template, state: pool.PoolState) -> str:
    max_devices = template.policy.max_devices
    if max_devices is None:
        growth = f"template {template.id} sets no max_devices, so the pool cannot grow"
    else:
        growth = (
            f"the pool of template {template.id} is at its max_devices ({max_devices}) "
            f"with {state.pending_devices} device(s) being created for earlier requests"
        )
        if state.failed_devices:
            growth += f" and {state.failed_devices} in ERROR (delete them to make room)"
    return f"no room: {refusal}, and {growth}"


async def _best_devices(
    uow: UnitOfWork,
    instance: ServiceInstance,
    template_id: uuid.UUID,
    policy: TemplatePolicy,
    need: int,
    *,
    exclude: list[uuid.UUID],
    exclude_hosts: list[str] | None = None,
    count: int | None = None,
    skip_locked: bool = False,
) -> Choice:
    """The devices the template's policy prefers. HA picks each on a host of its own."""
    wanted = instance.bindings_wanted if count is None else count
    anti_affinity = instance.ha
    hosts = list(exclude_hosts or [])
    chosen: list[tuple[Row[Any], int, TemplatePolicy]] = []
    for _ in range(wanted):
        device = await repo.pick_device(
            uow.conn,
            template_id=template_id,
            slots=need,
            tenant_id=instance.tenant_id,
            policy=policy,
            exclude_devices=[*exclude, *(d.id for d, _, _ in chosen)],
            exclude_hosts=hosts if anti_affinity else None,
            skip_locked=skip_locked,
        )
        if device is None:
            return Choice([], _refusal(template_id, need, anti_affinity, len(chosen), wanted))
        chosen.append((device, need, policy))
        hosts.append(device.host)
    return Choice(chosen)


def _refusal(template_id: uuid.UUID, need: int, ha: bool, found: int, wanted: int) -> str:
    if not ha:
        return f"no ACTIVE device of template {template_id} has {need} free slot(s)"
    return (
        f"HA needs {wanted} ACTIVE devices of template {template_id} on different known hosts "
        f"with {need} free slot(s) each; found {found}"
    )


async def _requested_devices(
    uow: UnitOfWork, instance: ServiceInstance, service_type: str
) -> Choice:
    """Honour the devices the client named, or say why one of them cannot host it."""
    rows: list[Row[Any]] = []
    for device_id in instance.requested_devices:
        row = await repo.get_device(uow.conn, device_id=device_id)
        if row is None:
            return Choice([], f"requested device {device_id} is not known to the scheduler")
        rows.append(row)
    for template_id in sorted({row.template_id for row in rows}):
        await repo.lock_template(uow.conn, template_id=template_id)
    # Lock the devices in one order, so two requests naming the same devices cannot deadlock.
    for device_id in sorted(instance.requested_devices):
        await repo.get_device(uow.conn, device_id=device_id, for_update=True)
    if instance.ha and len(rows) < 2:
        return Choice([], "HA needs at least two requested devices")
    chosen: list[tuple[Row[Any], int, TemplatePolicy]] = []
    hosts: set[str] = set()
    for device_id in instance.requested_devices:
        row = await repo.get_device(uow.conn, device_id=device_id)
        assert row is not None
        refusal, need, policy = await _requested_device_refusal(uow, row, instance, service_type)
        if refusal is None and instance.ha:
            if row.host is None or row.host in hosts:
                refusal = f"HA needs devices on different known hosts; requested device {row.id} is on host {row.host}"
            hosts.add(row.host)
        if refusal is not None:
            return Choice([], refusal)
        chosen.append((row, need, policy))
    return Choice(chosen)


async def _requested_device_refusal(
    uow: UnitOfWork, device: Row[Any], instance: ServiceInstance, service_type: str
) -> tuple[str | None, int, TemplatePolicy]:
    template = await repo.get_template(uow.conn, template_id=device.template_id)
    policy = template.policy if template is not None else TemplatePolicy()
    need = policy.slots_for(service_type)
    offered = await repo.template_offers(
        uow.conn, template_id=device.template_id, service_type=service_type
    )
    name = f"requested device {device.id}"
    if not offered:
        return f"{name}'s template does not offer service type {service_type}", need, policy
    if device.status != S.ACTIVE:
        return f"{name} is {device.status}, not ACTIVE", need, policy
    free = device.slot_capacity - device.slots_used
    if free < need:
        return f"{name} has {free} free slot(s); {service_type} needs {need}", need, policy
    if policy.tenant_bound and device.bound_tenant not in (None, instance.tenant_id):
        return f"{name} is bound to another project", need, policy
    return None, need, policy


async def _bind(uow: UnitOfWork, instance: ServiceInstance, choice: Choice) -> ServiceInstance:
    position = len(instance.devices)
    bound = list(instance.devices)
    for device, slots, policy in choice.devices:
        bind_tenant = instance.tenant_id if policy.tenant_bound else None
        await repo.bind(
            uow.conn, instance_id=instance.id, device_id=device.id, slots=slots, position=position
        )
        updated = await repo.reserve(
            uow.conn, device_id=device.id, slots=slots, bind_tenant=bind_tenant
        )
        if updated is None:
            # Cannot happen under the template lock; if it does, fail loudly, not overbook.
            raise RuntimeError(f"device {device.id} lost its free slots during placement")
        await publish_capacity(uow, updated)
        bound.append(device.id)
        position += 1
    placed = instance.changed(devices=bound)
    await save_and_announce(uow, placed)
    log.info(
        "service instance placed",
        extra={"service_instance_id": str(instance.id), "devices": [str(d) for d in bound]},
    )
    return placed


# --- waiting instances and the pool ------------------------------------------------------


async def place_waiting(uow: UnitOfWork, *, template_id: uuid.UUID) -> None:
    """Room may have appeared (a device became ACTIVE, slots were freed, the template
    arrived): try the waiting instances of the template, oldest first."""
    template = await repo.get_template(uow.conn, template_id=template_id)
    if template is None:
        return
    await repo.lock_template(uow.conn, template_id=template_id)
    waited = 0
    for instance_id in await repo.waiting_instances(uow.conn, template_id=template_id):
        instance = await repo.get_instance(uow.conn, instance_id=instance_id, for_update=True)
        if instance is None or instance.status != S.PENDING_CREATE:
            continue
        outcome = await place_or_wait(uow, instance, waiting_before=waited)
        waited += outcome.waiting_slots


async def grow(uow: UnitOfWork, template: repo.Template, *, waiting_slots: int) -> int:
    """Ask lifecycle for the devices the pool lacks; how many were asked for.

    Never waits for the template's lock: a placement holding device rows must not wait
    for a transaction that may be waiting for those rows. If another transaction holds the
    lock, it (or the pool keeper, within a reconcile interval) decides on growth instead."""
    if not template.policy.can_grow:
        return 0
    if not await repo.try_lock_template(uow.conn, template_id=template.id):
        return 0
    state = await repo.pool_state(uow.conn, template_id=template.id, waiting_slots=waiting_slots)
    count = pool.devices_to_create(template.policy, state)
    for _ in range(count):
        device_id = uuid.uuid4()
        await repo.add_pool_device(
            uow.conn,
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
        await uow.publish(create, tenant_id=template.tenant_id)
    if count:
        log.info("growing a pool", extra={"template_id": str(template.id), "devices": count})
    return count


async def shrink(uow: UnitOfWork, template: repo.Template, *, idle_seconds: float) -> int:
    """Release the pool's idle devices beyond the desired free slots; how many."""
    waiting = await repo.waiting_slots(uow.conn, template_id=template.id, policy=template.policy)
    state = await repo.pool_state(uow.conn, template_id=template.id, waiting_slots=waiting)
    idle = await repo.idle_pool_devices(
        uow.conn, template_id=template.id, idle_seconds=idle_seconds
    )
    released = pool.devices_to_release(template.policy, state, idle)
    for device_id in released:
        await repo.mark_device_releasing(uow.conn, device_id=device_id)
        await uow.publish(commands.DeleteDevice(id=device_id), tenant_id=template.tenant_id)
    if released:
        log.info(
            "releasing idle pool devices",
            extra={"template_id": str(template.id), "devices": len(released)},
        )
    return len(released)


# --- releasing ---------------------------------------------------------------------------


async def finish_delete(uow: UnitOfWork, instance: ServiceInstance) -> None:
    """The configuration is gone: free the slots, forget the instance, try the waiting."""
    held = await repo.instance_bindings(uow.conn, instance_id=instance.id)
    await repo.delete_instance(uow.conn, instance_id=instance.id)
    templates: set[uuid.UUID] = set()
    for device_id, slots in held:
        device = await repo.release(uow.conn, device_id=device_id, slots=slots)
        if device is not None:
            await publish_capacity(uow, device)
            templates.add(device.template_id)
    gone = instance.changed()
    await uow.publish(
        events.ServiceInstanceDeleted(instance=gone.snapshot(), previous_status=instance.status),
        tenant_id=instance.tenant_id,
    )
    for template_id in sorted(templates):
        await place_waiting(uow, template_id=template_id)


async def device_lost(
    uow: UnitOfWork, instance_id: uuid.UUID, device: Row[Any], template: repo.Template | None
) -> None:
    """A device hosting the instance was deleted: move the instance to another device if the
    template says so, else it goes to ERROR with the reason."""
    instance = await repo.get_instance(uow.conn, instance_id=instance_id, for_update=True)
    if instance is None:
        return
    await repo.unbind(uow.conn, instance_id=instance.id, device_id=device.id)
    remaining = [d for d in instance.devices if d != device.id]
    lost = f"device {device.id} hosting it was deleted"
    if instance.status == S.PENDING_DELETE:
        trimmed = instance.changed(devices=remaining)
        if remaining:
            await save_and_announce(uow, trimmed)
        else:
            await finish_delete(uow, trimmed)
        return
    if instance.status == S.ERROR:
        await save_and_announce(uow, instance.changed(devices=remaining))
        return
    instance = instance.changed(devices=remaining)
    if template is None or not template.policy.reschedule_on_device_loss:
        await fail(uow, instance, lost)
        return
    await _reschedule(uow, instance, template, lost)


async def _reschedule(
    uow: UnitOfWork, instance: ServiceInstance, template: repo.Template, lost: str
) -> None:
    found = await repo.service_type(uow.conn, service_type_id=instance.service_type_id)
    service_type = found[1] if found is not None else ""
    policy = template.policy
    need = policy.slots_for(service_type)
    await repo.lock_template(uow.conn, template_id=template.id)
    choice = await _best_devices(
        uow,
        instance,
        template.id,
        policy,
        need,
        exclude=instance.devices,
        exclude_hosts=await repo.hosts_of(uow.conn, device_ids=instance.devices),
        count=instance.bindings_wanted - len(instance.devices),
    )
    if choice.refusal is not None:
        await fail(uow, instance, f"{lost} and it could not be rescheduled: {choice.refusal}")
        return
    if instance.status == S.ACTIVE:
        instance = instance.transition(S.PENDING_UPDATE)
    placed = await _bind(uow, instance, choice)
    operation: Operation = "create" if placed.status == S.PENDING_CREATE else "update"
    await publish_placed(uow, placed, service_type, operation)
    log.info("service instance rescheduled", extra={"service_instance_id": str(instance.id)})
