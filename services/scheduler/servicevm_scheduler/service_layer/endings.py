"""How a service instance's placement ends: deleted, or its device lost (then moved to
another device when the template says so, else failed with the reason)."""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler.domain import choice
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device, Template
from servicevm_scheduler.service_layer.announce import (
    announce,
    fail,
    publish_capacity,
    publish_placed,
    save_and_announce,
)
from servicevm_scheduler.service_layer.choosing import best_devices, bind
from servicevm_scheduler.service_layer.placing import place_waiting, template_of
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts import events
from shared.contracts.events import Operation
from shared.contracts.statuses import ServiceInstanceStatus

log = logging.getLogger(__name__)


async def begin_delete(s: Scheduling, instance: ServiceInstance) -> None:
    """PENDING_DELETE; mgmt removes the instance from its devices, then ``finish_delete``
    (on its ``service_instance.unconfigured``). An instance on no device, or whose management
    driver removes nothing (``choice.through_mgmt``), is deleted at once."""
    deleting = instance.transition(ServiceInstanceStatus.PENDING_DELETE)
    if deleting.devices and await _removed_by_mgmt(s, deleting):
        await save_and_announce(s, deleting)
        releasing = events.ServiceInstanceReleasing(
            instance_id=deleting.id,
            tenant_id=deleting.tenant_id,
            mgmt_driver=deleting.mgmt_driver,
            devices=deleting.devices,
        )
        await s.outbox.publish(releasing, tenant_id=deleting.tenant_id)
    else:
        await announce(s, deleting)
        await finish_delete(s, deleting)


async def _removed_by_mgmt(s: Scheduling, instance: ServiceInstance) -> bool:
    found = await template_of(s, instance)
    template = found[0] if found is not None else None
    return choice.through_mgmt(instance, template, removing=True)


async def finish_delete(s: Scheduling, instance: ServiceInstance) -> None:
    """The configuration is gone: free the slots, forget the instance, try the waiting."""
    held = await s.bindings.of_instance(instance_id=instance.id)
    await s.instances.delete(instance_id=instance.id)
    templates: set[uuid.UUID] = set()
    for device_id, slots in held:
        device = await s.slots.release(device_id=device_id, slots=slots)
        if device is not None:
            await publish_capacity(s, device)
            templates.add(device.template_id)
    gone = instance.changed()
    await s.outbox.publish(
        events.ServiceInstanceDeleted(instance=gone.snapshot(), previous_status=instance.status),
        tenant_id=instance.tenant_id,
    )
    for template_id in sorted(templates):
        await place_waiting(s, template_id=template_id)


async def requested_device_gone(s: Scheduling, device_id: uuid.UUID) -> None:
    """A device was deleted while instances that named it waited for it to be created."""
    for instance_id in await s.waiting.naming(device_id=device_id):
        instance = await s.instances.get(instance_id=instance_id, for_update=True)
        if instance is not None and instance.status == ServiceInstanceStatus.PENDING_CREATE:
            await fail(s, instance, f"requested device {device_id} was deleted")


async def device_lost(
    s: Scheduling, instance_id: uuid.UUID, device: Device, template: Template | None
) -> None:
    """A device hosting the instance was deleted: move the instance to another device if the
    template says so, else it goes to ERROR with the reason."""
    instance = await s.instances.get(instance_id=instance_id, for_update=True)
    if instance is None:
        return
    await s.bindings.unbind(instance_id=instance.id, device_id=device.id)
    remaining = [d for d in instance.devices if d != device.id]
    lost = f"device {device.id} hosting it was deleted"
    if instance.status == ServiceInstanceStatus.PENDING_DELETE:
        trimmed = instance.changed(devices=remaining)
        if remaining:
            await save_and_announce(s, trimmed)
        else:
            await finish_delete(s, trimmed)
        return
    if instance.status == ServiceInstanceStatus.ERROR:
        await save_and_announce(s, instance.changed(devices=remaining))
        return
    instance = instance.changed(devices=remaining)
    if template is None or not template.policy.reschedule_on_device_loss:
        await fail(s, instance, lost)
        return
    await _reschedule(s, instance, template, lost)


# A DEAD device's instances that can move; one being deleted or failed already stays bound.
MOVABLE = (
    ServiceInstanceStatus.ACTIVE,
    ServiceInstanceStatus.PENDING_CREATE,
    ServiceInstanceStatus.PENDING_UPDATE,
)


async def device_dead(
    s: Scheduling, instance_id: uuid.UUID, device: Device, template: Template
) -> None:
    """A device hosting the instance is DEAD and will not be replaced (its row stays, its
    capacity unused): the instance gives its slots there back and moves to another device
    (an HA instance to another host than its other members), else it goes to ERROR."""
    instance = await s.instances.get(instance_id=instance_id, for_update=True)
    if instance is None or instance.status not in MOVABLE:
        return
    await move_off(
        s, instance, device, template, f"device {device.id} hosting it is {device.status}"
    )


async def move_off(
    s: Scheduling, instance: ServiceInstance, device: Device, template: Template, why: str
) -> None:
    """Give the instance's slots on the device back and place that member elsewhere."""
    slots = dict(await s.bindings.of_instance(instance_id=instance.id)).get(device.id)
    if slots is None:
        return  # moved already (a redelivery)
    await s.bindings.unbind(instance_id=instance.id, device_id=device.id)
    released = await s.slots.release(device_id=device.id, slots=slots)
    if released is not None:
        await publish_capacity(s, released)
    remaining = instance.changed(devices=[d for d in instance.devices if d != device.id])
    await _reschedule(s, remaining, template, why)


async def _reschedule(
    s: Scheduling, instance: ServiceInstance, template: Template, lost: str
) -> None:
    found = await s.templates.service_type(service_type_id=instance.service_type_id)
    service_type = found[1] if found is not None else ""
    policy = template.policy
    need = policy.slots_for(service_type)
    await s.templates.lock(template_id=template.id)
    chosen = await best_devices(
        s,
        instance,
        template.id,
        policy,
        need,
        exclude=instance.devices,
        exclude_hosts=await s.devices.hosts_of(device_ids=instance.devices),
        count=instance.bindings_wanted - len(instance.devices),
    )
    if chosen.refusal is not None:
        await fail(s, instance, f"{lost} and it could not be rescheduled: {chosen.refusal}")
        return
    if instance.status == ServiceInstanceStatus.ACTIVE:
        instance = instance.transition(ServiceInstanceStatus.PENDING_UPDATE)
    placed = await bind(s, instance, chosen)
    operation: Operation = (
        "create" if placed.status == ServiceInstanceStatus.PENDING_CREATE else "update"
    )
    await publish_placed(s, placed, service_type, operation)
    log.info("service instance rescheduled", extra={"service_instance_id": str(instance.id)})
