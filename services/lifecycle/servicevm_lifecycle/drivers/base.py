"""The interface every device driver implements (noop, nova, heat, local)."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from shared.contracts.models import ServiceContext

# status() words of an instance that is off or gone, whatever the driver.
STOPPED_STATUSES = frozenset({"SHUTOFF", "SUSPEND_COMPLETE", "DELETED", "DELETE_COMPLETE"})


class DeviceDriverError(Exception):
    """The device could not be created, updated, deleted, started or stopped; the message
    says why."""


@dataclass(frozen=True)
class VimCredentials:
    """How to reach one VIM (an OpenStack cloud account): Keystone v3 password or
    application credential. Hashable, so drivers keep one connection pool per VIM."""

    auth_url: str
    region_name: str | None = None
    project_name: str | None = None
    project_domain_name: str | None = None
    project_id: str | None = None
    user_name: str | None = None
    user_domain_name: str | None = None
    password: str | None = None
    application_credential_id: str | None = None
    application_credential_secret: str | None = None

    SECRETS: ClassVar[frozenset[str]] = frozenset({"password", "application_credential_secret"})

    def __repr__(self) -> str:
        # Secrets must never reach a log line or an error message.
        shown = (
            f"{f.name}={'***' if f.name in self.SECRETS else repr(getattr(self, f.name))}"
            for f in fields(self)
            if getattr(self, f.name) is not None
        )
        return f"VimCredentials({', '.join(shown)})"

    __str__ = __repr__

    @property
    def uses_application_credential(self) -> bool:
        return self.application_credential_id is not None


@dataclass(frozen=True)
class DeviceSpec:
    """Everything a driver needs to build a device."""

    device_id: uuid.UUID
    tenant_id: str
    template_attributes: dict[str, str]
    kwargs: dict[str, Any]
    service_contexts: list[ServiceContext]
    # The cloud account the nova and heat drivers build in; registered through the api.
    vim: VimCredentials | None = None


@dataclass(frozen=True)
class InstanceFacts:
    """What the driver learnt once the instance is ready."""

    mgmt_address: str | None = None
    host: str | None = None
    availability_zone: str | None = None


@dataclass(frozen=True)
class OwnedInstance:
    """An instance a driver holds tagged with the servicevm device id it was built for
    (what the orphan reconciler compares with the devices lifecycle knows)."""

    instance_id: str
    device_id: str
    # When it was made, as the cloud (or the local state file) says; None: unknown.
    created_at: datetime | None = None


class DeviceDriver(ABC):
    """Drivers must not block the event loop: synchronous clients run in a thread."""

    # Builds in a VIM (a cloud account): lifecycle then fills DeviceSpec.vim, or fails the
    # device when it has none.
    needs_vim: ClassVar[bool] = False

    def in_process(self, template_attributes: Mapping[str, str]) -> bool:
        """True when its calls for such a device touch nothing outside this process and
        return at once: a crash between its steps then leaves nothing to find again, so the
        steps need no transaction of their own."""
        return False

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
    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        """Power a stopped instance on again, as it was (same identity, addresses, disks and
        configuration) and wait until it runs; one running already is not an error.
        Raises DeviceDriverError, also when this driver cannot power instances on and off."""

    @abstractmethod
    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        """Power the instance off, keeping it to be started again, and wait until it is
        off; ``graceful_timeout``: seconds it may take to shut down cleanly (None: the
        driver's default). One stopped already is not an error. Raises DeviceDriverError."""

    async def request_stop(self, instance_id: str, spec: DeviceSpec) -> None:
        """Ask the instance to shut down cleanly (a guest's ACPI shutdown) and return at
        once, without waiting: ``is_stopped`` tells when it is off. Asking one stopping or
        stopped already is not an error. A driver without a clean shutdown stops it here
        (``stop``). Raises DeviceDriverError."""
        await self.stop(instance_id, spec)

    async def is_stopped(self, instance_id: str, spec: DeviceSpec) -> bool:
        """One look, no waiting: whether the instance is off (or gone). Raises
        DeviceDriverError when the driver cannot tell."""
        return await self.status_of(instance_id, spec) in STOPPED_STATUSES

    @abstractmethod
    async def status(self, instance_id: str) -> str:
        """The instance's status in the driver's own words (ACTIVE, BUILD, ERROR, ...)."""

    async def find_instance(self, spec: DeviceSpec) -> str | None:
        """The instance built for this device (by its device id), if any: a device whose id
        never got recorded (a crash between boot and record) can still be deleted.
        Drivers that build nothing find nothing. Raises DeviceDriverError."""
        return None

    async def owned_instances(self, vim: VimCredentials | None) -> list[OwnedInstance]:
        """Every instance this driver holds (in that VIM, for a cloud driver) tagged with a
        servicevm device id. Drivers that build nothing hold nothing. Raises DeviceDriverError."""
        return []

    async def status_of(self, instance_id: str, spec: DeviceSpec) -> str:
        """status(), asked by a caller holding the device's spec (the health monitor): a
        driver that builds in a VIM learns from it where the instance lives."""
        return await self.status(instance_id)
