"""HA instances keep their members on different hosts when a device comes back from a
respawn: the driver built a new instance wherever the cloud put it, maybe on the host of
another member of an HA instance it hosts; that member then moves to a device on another
host when one has room (else it stays: two members on one host still serve)."""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Template
from servicevm_scheduler.service_layer.choosing import best_devices
from servicevm_scheduler.service_layer.endings import MOVABLE, move_off
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts.statuses import DeviceStatus

log = logging.getLogger(__name__)


async def keep_ha_apart(s: Scheduling, device_id: uuid.UUID) -> None:
    device = await s.devices.get(device_id=device_id, for_update=True)
    if device is None or device.status != DeviceStatus.ACTIVE or device.host is None:
        return
    template = await s.templates.get(template_id=device.template_id)
    if template is None:
        return
    for instance_id in await s.bindings.services_on(device_id=device.id):
        instance = await s.instances.get(instance_id=instance_id, for_update=True)
        if instance is None or not instance.ha or instance.status not in MOVABLE:
            continue
        others = [d for d in instance.devices if d != device.id]
        hosts = await s.devices.hosts_of(device_ids=others)
        if device.host not in hosts:
            continue
        if not await _room_elsewhere(s, instance, template, hosts):
            # Two members on one host still serve; failing the instance would not.
            log.warning("an HA member is beside another and no other host has room")
            continue
        log.warning(
            "an HA member came back beside another: moving it",
            extra={"service_instance_id": str(instance.id), "device_id": str(device.id)},
        )
        why = f"device {device.id} came back on host {device.host}, beside another member"
        await move_off(s, instance, device, template, why)


async def _room_elsewhere(
    s: Scheduling, instance: ServiceInstance, template: Template, hosts: list[str]
) -> bool:
    found = await s.templates.service_type(service_type_id=instance.service_type_id)
    need = template.policy.slots_for(found[1] if found is not None else "")
    room = await best_devices(
        s,
        instance,
        template.id,
        template.policy,
        need,
        exclude=instance.devices,
        exclude_hosts=hosts,
        count=1,
    )
    return room.refusal is None
