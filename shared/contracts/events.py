"""Events: facts in the past tense, published on ``servicevm.events`` for whoever cares."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Literal

from shared.contracts.envelope import Message
from shared.contracts.models import DeviceSnapshot, DeviceTemplateSnapshot


class Event(Message):
    KIND: ClassVar[str] = "events"


class _TemplateEvent(Event):
    template: DeviceTemplateSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.template.id)


class _DeviceStateEvent(Event):
    device: DeviceSnapshot

    @property
    def subject_id(self) -> str:
        return str(self.device.id)

    @property
    def depends_on(self) -> tuple[str, ...]:
        return (str(self.device.template_id),)


class _DeviceStepEvent(Event):
    device_id: uuid.UUID

    @property
    def subject_id(self) -> str:
        return str(self.device_id)


class DeviceTemplateCreated(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.created"


class DeviceTemplateUpdated(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.updated"


class DeviceTemplateDeleted(_TemplateEvent):
    TYPE: ClassVar[str] = "device_template.deleted"


class DeviceStatusChanged(_DeviceStateEvent):
    TYPE: ClassVar[str] = "device.status_changed"

    previous_status: str | None


class DeviceDeleted(_DeviceStateEvent):
    """The driver confirmed the device is gone; its record is removed."""

    TYPE: ClassVar[str] = "device.deleted"

    previous_status: str


Operation = Literal["create", "update"]


class DeviceSpawned(_DeviceStepEvent):
    """The device driver has the instance running; it now needs its configuration."""

    TYPE: ClassVar[str] = "device.spawned"

    tenant_id: str
    operation: Operation
    mgmt_driver: str
    mgmt_address: str | None
    template_attributes: dict[str, str]
    kwargs: dict[str, Any]


class DeviceConfigured(_DeviceStepEvent):
    """mgmt applied (or failed to apply) the configuration of a spawned device."""

    TYPE: ClassVar[str] = "device.configured"

    operation: Operation
    succeeded: bool
    reason: str | None = None
