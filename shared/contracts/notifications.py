"""Lifecycle notifications for orchestrators, published on ``servicevm.notifications``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import utcnow
from shared.contracts.statuses import DeviceStatus

# What subscribers can filter on: the resource types, and every event type mgmt emits.
RESOURCE_TYPES = ("device", "device_template", "service_instance")
_STATUSES = tuple(status.lower() for status in (*DeviceStatus.ALL, DeviceStatus.DELETED))
EVENT_TYPES = frozenset(
    (
        *(f"device.{status}" for status in _STATUSES),
        "device.capacity",
        *(f"service_instance.{status}" for status in _STATUSES),
        "device_template.created",
        "device_template.updated",
        "device_template.deleted",
    )
)
# AMQP routing keys are at most 255 bytes.
MAX_ROUTING_KEY = 255
# The version of the notification bodies' JSON Schemas (/v1.0/asyncapi.json), in every body:
# the minor grows with additions a subscriber may ignore, the major with anything else.
SchemaVersion = Literal["1.0"]
SCHEMA_VERSION: Final[SchemaVersion] = "1.0"


def project_routing_key(tenant_id: str, event_type: str) -> str | None:
    """``<project>.<event_type>`` on the per-project exchange; None if too long for AMQP.

    The project id is percent-encoded with "." too, so it is one routing-key word: project
    "a" can never match the keys of a project "a.b" (Keystone ids are hex: unchanged)."""
    project = quote(tenant_id, safe="").replace(".", "%2E")
    key = f"{project}.{event_type}"
    return key if len(key.encode()) <= MAX_ROUTING_KEY else None


class Notification(BaseModel):
    """Routing key = ``event_type`` (``device.active``, ``device_template.created``, ...)."""

    # The published JSON Schema is of the body as sent (serialization), where every field
    # is present: a subscriber may count on each, defaults included.
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    resource_type: str
    resource_id: uuid.UUID
    tenant_id: str
    timestamp: datetime = Field(default_factory=utcnow)
    request_id: str
    payload: dict[str, Any]
    schema_version: SchemaVersion = SCHEMA_VERSION


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
