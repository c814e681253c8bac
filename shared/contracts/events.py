"""Events: facts in the past tense, published on ``servicevm.events`` for whoever cares."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Literal

from shared.contracts.envelope import Message
from shared.contracts.models import DeviceSnapshot, DeviceTemplateSnapshot


class Event(Message):
    KIND: ClassVar[str] = "events"


class DeviceTemplateCreated(Event):
    TYPE: ClassVar[str] = "device_template.created"

    template: DeviceTemplateSnapshot


class DeviceTemplateUpdated(Event):
    TYPE: ClassVar[str] = "device_template.updated"

    template: DeviceTemplateSnapshot


class DeviceTemplateDeleted(Event):
    TYPE: ClassVar[str] = "device_template.deleted"

    template: DeviceTemplateSnapshot


class DeviceStatusChanged(Event):
    TYPE: ClassVar[str] = "device.status_changed"

    device: DeviceSnapshot
    previous_status: str | None


class DeviceDeleted(Event):
    """The driver confirmed the device is gone; its record is removed."""

    TYPE: ClassVar[str] = "device.deleted"

    device: DeviceSnapshot
    previous_status: str


Operation = Literal["create", "update"]


class DeviceSpawned(Event):
    """The device driver has the instance running; it now needs its configuration."""

    TYPE: ClassVar[str] = "device.spawned"

    device_id: uuid.UUID
    tenant_id: str
    operation: Operation
    mgmt_driver: str
    mgmt_address: str | None
    template_attributes: dict[str, str]
    kwargs: dict[str, Any]


class DeviceConfigured(Event):
    """mgmt applied (or failed to apply) the configuration of a spawned device."""

    TYPE: ClassVar[str] = "device.configured"

    device_id: uuid.UUID
    operation: Operation
    succeeded: bool
    reason: str | None = None
