"""The interface every device driver implements (noop, nova, heat, local)."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from shared.contracts.models import ServiceContext


class DeviceDriverError(Exception):
    """The device could not be created, updated or deleted; the message says why."""


@dataclass(frozen=True)
class DeviceSpec:
    """Everything a driver needs to build a device."""

    device_id: uuid.UUID
    tenant_id: str
    template_attributes: dict[str, str]
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]


@dataclass(frozen=True)
class InstanceFacts:
    """What the driver learnt once the instance is ready."""

    mgmt_address: str | None = None
    host: str | None = None
    availability_zone: str | None = None


class DeviceDriver(ABC):
    """Drivers must not block the event loop: synchronous clients run in a thread."""

    @abstractmethod
    async def create(self, spec: DeviceSpec) -> str:
        """Start building the instance; return its id. Raises DeviceDriverError."""

    @abstractmethod
    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        """Wait (with a timeout) until the instance runs. Raises DeviceDriverError."""

    @abstractmethod
    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        """Apply new kwargs to the instance. Raises DeviceDriverError."""

    @abstractmethod
    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        """Remove the instance and wait until it is gone; an absent instance is not an error."""

    @abstractmethod
    async def status(self, instance_id: str) -> str:
        """The instance's status in the driver's own words (ACTIVE, BUILD, ERROR, ...)."""
