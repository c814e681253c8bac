"""Lifecycle notifications for orchestrators, published on ``servicevm.notifications``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import utcnow


class Notification(BaseModel):
    """Routing key = ``event_type`` (``device.active``, ``device_template.created``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    resource_type: str
    resource_id: uuid.UUID
    tenant_id: str
    timestamp: datetime = Field(default_factory=utcnow)
    request_id: str
    payload: dict[str, Any]


class DeviceNotification(Notification):
    device_id: uuid.UUID
    template_id: uuid.UUID
    status: str
    previous_status: str | None
    error_reason: str | None = None


class DeviceTemplateNotification(Notification):
    template_id: uuid.UUID


class ServiceInstanceNotification(Notification):
    service_instance_id: uuid.UUID
    service_type_id: uuid.UUID
    status: str
    previous_status: str | None
    devices: list[uuid.UUID]
    error_reason: str | None = None


class DeviceCapacityNotification(Notification):
    """``device.capacity``: the device's slots after an allocation change."""

    device_id: uuid.UUID
    template_id: uuid.UUID
    slot_capacity: int
    slots_used: int
    slots_free: int
    services: list[uuid.UUID]
