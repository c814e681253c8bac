"""The interface every management driver implements (noop, http, ssh, ...)."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class MgmtDriverError(Exception):
    """The appliance could not be configured or read; the message says why."""


@dataclass(frozen=True)
class ManagedDevice:
    device_id: uuid.UUID
    tenant_id: str
    mgmt_address: str | None
    # Template attributes: the driver's parameters (ports, credentials reference, ...).
    parameters: dict[str, str]
    # What to configure: the device's kwargs.
    configuration: dict[str, Any]


class MgmtDriver(ABC):
    def needs_configuration(self, parameters: Mapping[str, str]) -> bool:
        """Whether ``apply`` does anything for a device with these template attributes; when
        not, lifecycle makes the device ACTIVE without asking mgmt (kept in step with
        ``shared.contracts.mgmt_drivers``, which lifecycle reads)."""
        return True

    def needs_service_configuration(self, parameters: Mapping[str, str]) -> bool:
        """Whether ``apply_service`` does anything on a device with these template
        attributes; when not, the scheduler makes a service instance ACTIVE where it places
        (or updates) it, without asking mgmt (kept in step with ``shared.contracts.mgmt_drivers``)."""
        return True

    def needs_service_removal(self, parameters: Mapping[str, str]) -> bool:
        """Whether ``remove_service`` does anything on a device with these template
        attributes; when not, the scheduler deletes a service instance without asking mgmt
        (kept in step with ``shared.contracts.mgmt_drivers``)."""
        return True

    @abstractmethod
    async def apply(self, device: ManagedDevice) -> None:
        """Push the configuration to the appliance. Raises MgmtDriverError."""

    @abstractmethod
    async def remove(self, device: ManagedDevice) -> None:
        """Remove the configuration from the appliance; absent configuration is not an error."""

    @abstractmethod
    async def apply_service(
        self, device: ManagedDevice, service_id: str, configuration: dict[str, Any]
    ) -> None:
        """Configure one service instance on the appliance (idempotent). Raises MgmtDriverError."""

    @abstractmethod
    async def remove_service(self, device: ManagedDevice, service_id: str) -> None:
        """Remove one service instance from the appliance; absent is not an error."""

    @abstractmethod
    async def verify(self, device: ManagedDevice) -> bool:
        """Whether the appliance holds the configuration that was applied."""

    @abstractmethod
    async def health(self, device: ManagedDevice) -> str:
        """The appliance's health in the driver's words (``ok`` when healthy)."""
