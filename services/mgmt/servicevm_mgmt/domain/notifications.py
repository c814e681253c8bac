"""Turning lifecycle events into subscriber notifications. Pure."""

from __future__ import annotations

from shared.contracts.envelope import Envelope
from shared.contracts.events import DeviceCapacityChanged
from shared.contracts.models import (
    DeviceSnapshot,
    DeviceStatus,
    DeviceTemplateSnapshot,
    ServiceInstanceSnapshot,
)
from shared.contracts.notifications import (
    DeviceCapacityNotification,
    DeviceNotification,
    DeviceTemplateNotification,
    ServiceInstanceNotification,
)


def device_notification(
    envelope: Envelope, device: DeviceSnapshot, *, status: str, previous_status: str | None
) -> DeviceNotification:
    return DeviceNotification(
        event_type=f"device.{status.lower()}",
        resource_type="device",
        resource_id=device.id,
        tenant_id=device.tenant_id,
        timestamp=envelope.timestamp,
        request_id=envelope.correlation_id,
        device_id=device.id,
        template_id=device.template_id,
        status=status,
        previous_status=previous_status,
        error_reason=device.error_reason,
        payload={
            "instance_id": device.instance_id,
            "mgmt_address": device.mgmt_address,
            "host": device.host,
            "availability_zone": device.availability_zone,
            "revision": device.revision,
        },
    )


def device_deleted_notification(
    envelope: Envelope, device: DeviceSnapshot, *, previous_status: str
) -> DeviceNotification:
    return device_notification(
        envelope, device, status=DeviceStatus.DELETED, previous_status=previous_status
    )


def template_notification(
    envelope: Envelope, template: DeviceTemplateSnapshot, *, action: str
) -> DeviceTemplateNotification:
    return DeviceTemplateNotification(
        event_type=f"device_template.{action}",
        resource_type="device_template",
        resource_id=template.id,
        tenant_id=template.tenant_id,
        timestamp=envelope.timestamp,
        request_id=envelope.correlation_id,
        template_id=template.id,
        payload={
            "name": template.name,
            "device_driver": template.device_driver,
            "mgmt_driver": template.mgmt_driver,
            "service_types": [ref.service_type for ref in template.service_types],
        },
    )


def instance_notification(
    envelope: Envelope,
    instance: ServiceInstanceSnapshot,
    *,
    status: str,
    previous_status: str | None,
) -> ServiceInstanceNotification:
    return ServiceInstanceNotification(
        event_type=f"service_instance.{status.lower()}",
        resource_type="service_instance",
        resource_id=instance.id,
        tenant_id=instance.tenant_id,
        timestamp=envelope.timestamp,
        request_id=envelope.correlation_id,
        service_instance_id=instance.id,
        service_type_id=instance.service_type_id,
        status=status,
        previous_status=previous_status,
        devices=instance.devices,
        error_reason=instance.error_reason,
        payload={"name": instance.name, "revision": instance.revision},
    )


def capacity_notification(
    envelope: Envelope, event: DeviceCapacityChanged
) -> DeviceCapacityNotification:
    return DeviceCapacityNotification(
        event_type="device.capacity",
        resource_type="device",
        resource_id=event.device_id,
        tenant_id=event.tenant_id,
        timestamp=envelope.timestamp,
        request_id=envelope.correlation_id,
        device_id=event.device_id,
        template_id=event.template_id,
        slot_capacity=event.slot_capacity,
        slots_used=event.slots_used,
        slots_free=event.slot_capacity - event.slots_used,
        services=event.services,
        payload={"capacity_revision": event.capacity_revision},
    )
