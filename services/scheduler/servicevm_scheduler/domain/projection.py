"""The scheduler's view of lifecycle's templates and devices, as placement reads it. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.contracts.template_policy import TemplatePolicy


@dataclass(frozen=True)
class Template:
    id: uuid.UUID
    tenant_id: str
    policy: TemplatePolicy
    # Its devices' management driver (None: not known to the scheduler) and its attributes,
    # which say whether placing an instance there needs mgmt (``choice.through_mgmt``).
    mgmt_driver: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Remembered:
    """A service type and its template as this process last read them. Maybe stale: only a
    statement that checks they still hold may act on it (``Slots.add_and_take``)."""

    service_type_id: uuid.UUID
    template: Template
    service_type: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class Device:
    """A device with its slots, as the projection holds it."""

    id: uuid.UUID
    tenant_id: str
    template_id: uuid.UUID
    status: str
    slot_capacity: int
    slots_used: int = 0
    host: str | None = None
    # For tenant_bound templates: the one project whose instances the device hosts.
    bound_tenant: str | None = None
    capacity_revision: int = 0

    @property
    def free_slots(self) -> int:
        return self.slot_capacity - self.slots_used
