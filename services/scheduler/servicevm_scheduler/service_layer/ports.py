"""What the placement code needs from storage and the bus, one protocol per table family.

``adapters/`` implements them in SQL on the caller's transaction; the unit tests implement
them in memory. Locks are part of the ports: the SQL ones are what makes concurrent
placements safe, and the fakes record them so tests can say when they are taken.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.pool import PoolState
from servicevm_scheduler.domain.projection import Device, Template
from shared.contracts.envelope import Message
from shared.contracts.models import DeviceSnapshot, DeviceTemplateSnapshot
from shared.contracts.template_policy import TemplatePolicy


class Outbox(Protocol):
    async def publish(self, message: Message, *, tenant_id: str) -> uuid.UUID: ...


class Templates(Protocol):
    async def upsert(self, *, template: DeviceTemplateSnapshot) -> None: ...
    async def delete(self, *, template_id: uuid.UUID) -> None: ...
    async def get(self, *, template_id: uuid.UUID) -> Template | None: ...
    async def service_type(self, *, service_type_id: uuid.UUID) -> tuple[uuid.UUID, str] | None: ...
    async def of_service_type(
        self, *, service_type_id: uuid.UUID
    ) -> tuple[Template, str] | None: ...
    async def offers(self, *, template_id: uuid.UUID, service_type: str) -> bool: ...
    async def with_pools(self) -> list[uuid.UUID]: ...
    async def lock(self, *, template_id: uuid.UUID) -> None: ...
    async def try_lock(self, *, template_id: uuid.UUID) -> bool: ...
    async def lock_service_type(self, *, service_type_id: uuid.UUID) -> None: ...


class Devices(Protocol):
    async def apply(self, *, device: DeviceSnapshot) -> str | None: ...
    async def get(self, *, device_id: uuid.UUID, for_update: bool = False) -> Device | None: ...
    async def remove(self, *, device_id: uuid.UUID) -> None: ...
    async def hosts_of(self, *, device_ids: list[uuid.UUID]) -> list[str]: ...


class Slots(Protocol):
    async def pick(self, pick: Pick, *, skip_locked: bool = False) -> Device | None: ...
    async def reserve(
        self, *, device_id: uuid.UUID, slots: int, bind_tenant: str | None
    ) -> Device | None: ...
    async def take(
        self,
        *,
        device_id: uuid.UUID,
        slots: int,
        bind_tenant: str | None,
        instance_id: uuid.UUID,
        position: int,
    ) -> tuple[Device, list[uuid.UUID]] | None: ...
    async def pick_and_take(
        self, pick: Pick, *, bind_tenant: str | None, instance_id: uuid.UUID, position: int
    ) -> tuple[Device, list[uuid.UUID]] | None: ...
    async def release(self, *, device_id: uuid.UUID, slots: int) -> Device | None: ...


class Pools(Protocol):
    async def state(self, *, template_id: uuid.UUID, waiting_slots: int) -> PoolState: ...
    async def idle_devices(
        self, *, template_id: uuid.UUID, idle_seconds: float
    ) -> list[uuid.UUID]: ...
    async def add_device(
        self, *, device_id: uuid.UUID, tenant_id: str, template_id: uuid.UUID, slot_capacity: int
    ) -> None: ...
    async def mark_releasing(self, *, device_id: uuid.UUID) -> None: ...


class Instances(Protocol):
    async def add(self, *, instance: ServiceInstance) -> bool: ...
    async def get(
        self, *, instance_id: uuid.UUID, for_update: bool = False
    ) -> ServiceInstance | None: ...
    async def save(self, *, instance: ServiceInstance, waiting: bool = False) -> None: ...
    async def delete(self, *, instance_id: uuid.UUID) -> None: ...


class Waiting(Protocol):
    async def of_template(self, *, template_id: uuid.UUID) -> list[uuid.UUID]: ...
    async def templates(self) -> list[uuid.UUID]: ...
    async def any_for(self, *, template_id: uuid.UUID) -> bool: ...
    async def slots(
        self,
        *,
        template_id: uuid.UUID,
        policy: TemplatePolicy,
        excluding: uuid.UUID | None = None,
    ) -> int: ...
    async def stale(self, *, older_than_seconds: float) -> list[uuid.UUID]: ...


class Bindings(Protocol):
    async def unbind(self, *, instance_id: uuid.UUID, device_id: uuid.UUID) -> None: ...
    async def of_instance(self, *, instance_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]: ...
    async def services_on(self, *, device_id: uuid.UUID) -> list[uuid.UUID]: ...


@dataclass(frozen=True)
class Scheduling:
    """One transaction as the scheduler's code sees it: its tables and its outbox."""

    outbox: Outbox
    templates: Templates
    devices: Devices
    slots: Slots
    pools: Pools
    instances: Instances
    waiting: Waiting
    bindings: Bindings
