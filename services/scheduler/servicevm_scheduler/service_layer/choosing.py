"""Choosing the devices for an instance, and binding it to them.

A device row is always locked before its slots are counted (the pick locks it, named
devices are locked in one order), and the conditional UPDATE of the slots (``take``,
``pick_and_take``) with the table's check constraint is the last guard: no device is ever
overbooked.
"""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler.domain import choice
from servicevm_scheduler.domain.choice import Choice, Pick
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device, Remembered
from servicevm_scheduler.service_layer.announce import (
    announce,
    announce_active,
    publish_capacity,
    save_and_announce,
)
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts.statuses import ServiceInstanceStatus
from shared.contracts.template_policy import TemplatePolicy

log = logging.getLogger(__name__)


async def best_devices(
    s: Scheduling,
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
    chosen: list[tuple[Device, int, TemplatePolicy]] = []
    for _ in range(wanted):
        pick = Pick(
            template_id=template_id,
            slots=need,
            tenant_id=instance.tenant_id,
            policy=policy,
            exclude_devices=[*exclude, *(d.id for d, _, _ in chosen)],
            exclude_hosts=hosts if anti_affinity else None,
        )
        device = await s.slots.pick(pick, skip_locked=skip_locked)
        if device is None:
            refusal = choice.not_found(template_id, need, anti_affinity, len(chosen), wanted)
            return Choice([], refusal)
        chosen.append((device, need, policy))
        if device.host is not None:
            hosts.append(device.host)
    return Choice(chosen)


async def requested_devices(s: Scheduling, instance: ServiceInstance, service_type: str) -> Choice:
    """Honour the devices the client named, or say why one of them cannot host it (a wait,
    while one is still being created)."""
    rows: list[Device] = []
    for device_id in instance.requested_devices:
        device = await s.devices.get(device_id=device_id)
        if device is None:
            return Choice([], choice.coming(device_id, device), wait=True)
        rows.append(device)
    for template_id in sorted({device.template_id for device in rows}):
        await s.templates.lock(template_id=template_id)
    # Lock the devices in one order, so two requests naming the same devices cannot deadlock.
    for device_id in sorted(instance.requested_devices):
        await s.devices.get(device_id=device_id, for_update=True)
    if instance.ha and len(rows) < 2:
        return Choice([], "HA needs at least two requested devices")
    return await _check_requested(s, instance, service_type)


async def _check_requested(s: Scheduling, instance: ServiceInstance, service_type: str) -> Choice:
    """Re-read each named device under its lock and check it can host the instance."""
    chosen: list[tuple[Device, int, TemplatePolicy]] = []
    hosts: set[str] = set()
    for device_id in instance.requested_devices:
        device = await s.devices.get(device_id=device_id)
        pending = choice.coming(device_id, device)
        if device is None or pending is not None:
            # Still being created (or deleted since it was read: the wait ends at its deadline).
            return Choice([], pending, wait=True)
        template = await s.templates.get(template_id=device.template_id)
        policy = template.policy if template is not None else TemplatePolicy()
        offered = await s.templates.offers(
            template_id=device.template_id, service_type=service_type
        )
        refusal = choice.requested_refusal(
            device, instance, service_type=service_type, offered=offered, policy=policy
        )
        if refusal is None and instance.ha:
            refusal = choice.ha_host_refusal(device, hosts)
            if device.host is not None:
                hosts.add(device.host)
        if refusal is not None:
            return Choice([], refusal)
        chosen.append((device, policy.slots_for(service_type), policy))
    return Choice(chosen)


async def bind(
    s: Scheduling, instance: ServiceInstance, chosen: Choice, *, active_as: str | None = None
) -> ServiceInstance:
    """Reserve the chosen slots and bind the instance to its devices. ``active_as``: see
    ``_placed``."""
    position = len(instance.devices)
    bound = list(instance.devices)
    for device, slots, policy in chosen.devices:
        bind_tenant = instance.tenant_id if policy.tenant_bound else None
        taken = await s.slots.take(
            device_id=device.id,
            slots=slots,
            bind_tenant=bind_tenant,
            instance_id=instance.id,
            position=position,
        )
        if taken is None:
            # Cannot happen: the device is locked since its pick; if it does, fail loudly.
            raise RuntimeError(f"device {device.id} lost its free slots during placement")
        updated, services = taken
        await publish_capacity(s, updated, services=services)
        bound.append(device.id)
        position += 1
    return await _placed(s, instance, bound, active_as=active_as)


async def take_best(
    s: Scheduling,
    instance: ServiceInstance,
    template_id: uuid.UUID,
    policy: TemplatePolicy,
    need: int,
    *,
    active_as: str | None = None,
) -> ServiceInstance | None:
    """The fast path for an instance on one device: ``best_devices`` (skipping devices other
    placements hold) and ``bind`` in one step; None, with nothing taken, if it finds none.
    ``active_as``: see ``_placed``."""
    pick = Pick(template_id=template_id, slots=need, tenant_id=instance.tenant_id, policy=policy)
    taken = await s.slots.pick_and_take(
        pick,
        bind_tenant=instance.tenant_id if policy.tenant_bound else None,
        instance_id=instance.id,
        position=len(instance.devices),
    )
    if taken is None:
        return None
    device, services = taken
    await publish_capacity(s, device, services=services)
    return await _placed(s, instance, [*instance.devices, device.id], active_as=active_as)


async def add_on_best(
    s: Scheduling,
    instance: ServiceInstance,
    seen: Remembered,
    need: int,
    *,
    active_as: str | None = None,
) -> ServiceInstance | None:
    """``take_best`` for a new instance, stored (bound) by the same statement and announced
    once, as placed; None, with nothing stored or taken, if no unlocked device has room or
    the template is no longer as ``seen``. ``active_as`` (its service type): its management
    driver configures nothing, so it is stored ACTIVE and announced as PENDING_CREATE then
    ACTIVE, with its placement (``announce_active``)."""
    template, policy = seen.template, seen.template.policy
    pick = Pick(template_id=template.id, slots=need, tenant_id=instance.tenant_id, policy=policy)
    bind_tenant = instance.tenant_id if policy.tenant_bound else None
    stored = instance if active_as is None else instance.transition(ServiceInstanceStatus.ACTIVE)
    taken = await s.slots.add_and_take(stored, pick, bind_tenant=bind_tenant, seen=seen)
    if taken is None:
        return None
    device, services = taken
    # Its first announcement: a new instance (no previous status), with its device.
    placed = instance.model_copy(update={"devices": [device.id]})
    if active_as is not None:
        placed = await announce_active(
            s, stored.model_copy(update={"devices": [device.id]}), active_as, placed
        )
    else:
        await announce(s, placed)
    await publish_capacity(s, device, services=services)
    _log_placed(placed)
    return placed


async def _placed(
    s: Scheduling, instance: ServiceInstance, bound: list[uuid.UUID], *, active_as: str | None
) -> ServiceInstance:
    """The instance on its devices, saved and announced. ``active_as`` (its service type):
    its management driver configures nothing, so it is ACTIVE now, announced with its
    placement (``announce_active``) rather than left for mgmt to configure."""
    if active_as is None:
        placed = instance.changed(devices=bound)
        await save_and_announce(s, placed)
    else:
        placed = instance.transition(ServiceInstanceStatus.ACTIVE, devices=bound)
        await s.instances.save(instance=placed)
        await announce_active(s, placed, active_as)
    _log_placed(placed)
    return placed


def _log_placed(instance: ServiceInstance) -> None:
    devices = [str(d) for d in instance.devices]
    log.info(
        "service instance placed",
        extra={"service_instance_id": str(instance.id), "devices": devices},
    )
