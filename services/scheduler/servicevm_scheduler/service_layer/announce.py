"""Saving a service instance and telling the others: its status, its placement, the slots."""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts import events
from shared.contracts.events import Operation
from shared.contracts.statuses import ServiceInstanceStatus

log = logging.getLogger(__name__)


async def announce(s: Scheduling, instance: ServiceInstance) -> None:
    await s.outbox.publish(
        events.ServiceInstanceStatusChanged(
            instance=instance.snapshot(), previous_status=instance.previous_status
        ),
        tenant_id=instance.tenant_id,
    )


async def announce_active(
    s: Scheduling,
    active: ServiceInstance,
    service_type: str,
    passed: ServiceInstance | None = None,
    *,
    operation: Operation = "create",
) -> ServiceInstance:
    """A create (or update) made ACTIVE where it was placed, its management driver
    configuring nothing (``mgmt_drivers.needs_service_configuration``): one status change
    that carries the placement, which mgmt records instead of configuring it and answering.
    ``passed``: the state it was in before ACTIVE in this transaction, not announced yet
    (PENDING_CREATE, as placed; PENDING_UPDATE), which this message passes through. Returns
    ``active``."""
    changed = events.ServiceInstanceStatusChanged(
        instance=active.snapshot(),
        previous_status=passed.previous_status if passed is not None else active.previous_status,
        passed=[passed.snapshot()] if passed is not None else [],
        placed=_placement(active, service_type, operation),
    )
    await s.outbox.publish(changed, tenant_id=active.tenant_id)
    return active


async def save_and_announce(
    s: Scheduling, instance: ServiceInstance, *, waiting: bool = False
) -> None:
    await s.instances.save(instance=instance, waiting=waiting)
    await announce(s, instance)


async def fail(s: Scheduling, instance: ServiceInstance, reason: str) -> ServiceInstance:
    log.warning(
        "service instance failed", extra={"service_instance_id": str(instance.id), "reason": reason}
    )
    failed = instance.transition(ServiceInstanceStatus.ERROR, error_reason=reason)
    await save_and_announce(s, failed)
    return failed


async def publish_capacity(
    s: Scheduling, device: Device, *, services: list[uuid.UUID] | None = None
) -> None:
    """``services``: the instances it hosts, when the caller has just read them."""
    if services is None:
        services = await s.bindings.services_on(device_id=device.id)
    await s.outbox.publish(
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
    s: Scheduling, instance: ServiceInstance, service_type: str, operation: Operation
) -> None:
    await s.outbox.publish(
        _placement(instance, service_type, operation), tenant_id=instance.tenant_id
    )


def _placement(
    instance: ServiceInstance, service_type: str, operation: Operation
) -> events.ServiceInstancePlaced:
    """Where the instance is now, and what mgmt configures (or records) there."""
    return events.ServiceInstancePlaced(
        instance_id=instance.id,
        tenant_id=instance.tenant_id,
        operation=operation,
        mgmt_driver=instance.mgmt_driver,
        devices=instance.devices,
        configuration=instance.configuration(service_type),
    )
