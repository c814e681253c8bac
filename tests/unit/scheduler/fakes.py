"""In-memory ports for the scheduler's service layer (the cosmicpython fake repository).

One ``FakeStore`` holds the tables; each fake port reads and writes it. The device pick
uses ``domain.choice.best``, the rule the SQL pick implements (checked against Postgres in
tests/integration/test_scheduler_slots.py). Locks are recorded, not taken.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field, replace

from servicevm_scheduler.domain import choice
from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.pool import PoolState
from servicevm_scheduler.domain.projection import Device, Remembered, Template
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts.envelope import Message
from shared.contracts.models import DeviceSnapshot, DeviceTemplateSnapshot
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus
from shared.contracts.template_policy import TemplatePolicy


@dataclass
class FakeStore:
    templates: dict[uuid.UUID, Template] = field(default_factory=dict)
    # service type id -> (template id, service type name)
    service_types: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(default_factory=dict)
    devices: dict[uuid.UUID, Device] = field(default_factory=dict)
    pool_managed: set[uuid.UUID] = field(default_factory=set)
    # Devices idle for longer than any idle_seconds asked (oldest first).
    idle: list[uuid.UUID] = field(default_factory=list)
    instances: dict[uuid.UUID, ServiceInstance] = field(default_factory=dict)
    waiting_since: dict[uuid.UUID, int] = field(default_factory=dict)
    # (instance id, device id) -> (slots, position)
    bindings: dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]] = field(default_factory=dict)
    published: list[Message] = field(default_factory=list)
    # ("template" | "try_template" | "service_type", id), in the order taken.
    locks: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    # Whether try_lock finds the template's lock free.
    lock_free: bool = True
    # Pool readings (state, has_free_slots) made.
    pool_reads: int = 0
    picks: list[tuple[Pick, bool]] = field(default_factory=list)
    # What of_service_type last read (the fake's attributes are the policy itself).
    remembered: dict[uuid.UUID, Remembered] = field(default_factory=dict)
    clock: itertools.count[int] = field(default_factory=itertools.count)

    def scheduling(self) -> Scheduling:
        return Scheduling(
            outbox=FakeOutbox(self),
            templates=FakeTemplates(self),
            devices=FakeDevices(self),
            slots=FakeSlots(self),
            pools=FakePools(self),
            instances=FakeInstances(self),
            waiting=FakeWaiting(self),
            bindings=FakeBindings(self),
        )

    def waiting_of(self, template_id: uuid.UUID) -> list[ServiceInstance]:
        waiting = [
            self.instances[i]
            for i in self.waiting_since
            if self.service_types.get(self.instances[i].service_type_id, (None, ""))[0]
            == template_id
        ]
        return sorted(waiting, key=lambda i: (self.waiting_since[i.id], i.id))


@dataclass
class _Port:
    store: FakeStore


class FakeOutbox(_Port):
    async def publish(self, message: Message, *, tenant_id: str) -> uuid.UUID:
        self.store.published.append(message)
        return uuid.uuid4()


class FakeTemplates(_Port):
    async def upsert(self, *, template: DeviceTemplateSnapshot) -> None:
        policy = TemplatePolicy.lenient(template.attributes)
        self.store.templates[template.id] = Template(
            template.id, template.tenant_id, policy, template.mgmt_driver, template.attributes
        )
        for ref in template.service_types:
            self.store.service_types[ref.id] = (template.id, ref.service_type)

    async def delete(self, *, template_id: uuid.UUID) -> None:
        self.store.templates.pop(template_id, None)

    async def get(self, *, template_id: uuid.UUID) -> Template | None:
        return self.store.templates.get(template_id)

    async def service_type(self, *, service_type_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
        return self.store.service_types.get(service_type_id)

    async def of_service_type(self, *, service_type_id: uuid.UUID) -> tuple[Template, str] | None:
        found = self.store.service_types.get(service_type_id)
        if found is None or found[0] not in self.store.templates:
            self.store.remembered.pop(service_type_id, None)
            return None
        template = self.store.templates[found[0]]
        attributes = {"policy": repr(template.policy)}
        self.store.remembered[service_type_id] = Remembered(
            service_type_id, template, found[1], attributes
        )
        return template, found[1]

    def remembered(self, *, service_type_id: uuid.UUID) -> Remembered | None:
        return self.store.remembered.get(service_type_id)

    async def offers(self, *, template_id: uuid.UUID, service_type: str) -> bool:
        return (template_id, service_type) in self.store.service_types.values()

    async def with_pools(self) -> list[uuid.UUID]:
        return [t.id for t in self.store.templates.values() if t.policy.max_devices is not None]

    async def lock(self, *, template_id: uuid.UUID) -> None:
        self.store.locks.append(("template", template_id))

    async def try_lock(self, *, template_id: uuid.UUID) -> bool:
        self.store.locks.append(("try_template", template_id))
        return self.store.lock_free

    async def lock_service_type(self, *, service_type_id: uuid.UUID) -> None:
        self.store.locks.append(("service_type", service_type_id))


class FakeDevices(_Port):
    async def apply(
        self, *, device: DeviceSnapshot, first: DeviceSnapshot | None = None
    ) -> str | None:
        known = self.store.devices.get(device.id)
        if known is None and (first or device).status != DeviceStatus.PENDING_CREATE:
            return None
        previous = known.status if known is not None else ""
        capacity = known.slot_capacity if known is not None else 1
        self.store.devices[device.id] = Device(
            device.id, device.tenant_id, device.template_id, device.status, capacity
        )
        return previous

    async def get(self, *, device_id: uuid.UUID, for_update: bool = False) -> Device | None:
        return self.store.devices.get(device_id)

    async def remove(self, *, device_id: uuid.UUID) -> None:
        self.store.devices.pop(device_id, None)

    async def hosts_of(self, *, device_ids: list[uuid.UUID]) -> list[str]:
        devices = (self.store.devices.get(d) for d in device_ids)
        return [d.host for d in devices if d is not None and d.host is not None]


class FakeSlots(_Port):
    async def pick(self, pick: Pick, *, skip_locked: bool = False) -> Device | None:
        self.store.picks.append((pick, skip_locked))
        return choice.best(self.store.devices.values(), pick)

    async def take(
        self,
        *,
        device_id: uuid.UUID,
        slots: int,
        bind_tenant: str | None,
        instance_id: uuid.UUID,
        position: int,
    ) -> tuple[Device, list[uuid.UUID]] | None:
        device = self.store.devices[device_id]
        if device.slots_used + slots > device.slot_capacity:
            return None
        bound = bind_tenant if bind_tenant is not None else device.bound_tenant
        device = self._put(device, device.slots_used + slots, bound)
        key = (instance_id, device_id)
        assert key not in self.store.bindings, "bound twice (the primary key refuses it)"
        self.store.bindings[key] = (slots, position)
        return device, sorted(i for (i, dev) in self.store.bindings if dev == device_id)

    async def pick_and_take(
        self, pick: Pick, *, bind_tenant: str | None, instance_id: uuid.UUID, position: int
    ) -> tuple[Device, list[uuid.UUID]] | None:
        device = await self.pick(pick, skip_locked=True)
        if device is None:
            return None
        return await self.take(
            device_id=device.id,
            slots=pick.slots,
            bind_tenant=bind_tenant,
            instance_id=instance_id,
            position=position,
        )

    async def add_and_take(
        self, instance: ServiceInstance, pick: Pick, *, bind_tenant: str | None, seen: Remembered
    ) -> tuple[Device, list[uuid.UUID]] | None:
        held = self.store.templates.get(seen.template.id)
        as_seen = self.store.service_types.get(seen.service_type_id) == (
            seen.template.id,
            seen.service_type,
        )
        if instance.id in self.store.instances or held != seen.template or not as_seen:
            return None
        device = await self.pick(pick, skip_locked=True)
        if device is None:
            return None
        self.store.instances[instance.id] = instance.model_copy(update={"devices": [device.id]})
        return await self.take(
            device_id=device.id,
            slots=pick.slots,
            bind_tenant=bind_tenant,
            instance_id=instance.id,
            position=0,
        )

    async def release(self, *, device_id: uuid.UUID, slots: int) -> Device | None:
        device = self.store.devices.get(device_id)
        if device is None:
            return None
        used = max(device.slots_used - slots, 0)
        return self._put(device, used, device.bound_tenant if used else None)

    def _put(self, device: Device, used: int, bound: str | None) -> Device:
        changed = replace(
            device,
            slots_used=used,
            bound_tenant=bound,
            capacity_revision=device.capacity_revision + 1,
        )
        self.store.devices[device.id] = changed
        return changed


class FakePools(_Port):
    async def state(self, *, template_id: uuid.UUID, waiting_slots: int) -> PoolState:
        self.store.pool_reads += 1
        return self._state(template_id, waiting_slots=waiting_slots)

    def _state(self, template_id: uuid.UUID, *, waiting_slots: int) -> PoolState:
        mine = [d for d in self.store.devices.values() if d.template_id == template_id]
        active = [d for d in mine if d.status == DeviceStatus.ACTIVE]
        return PoolState(
            active_devices=len(active),
            pending_devices=sum(d.status == DeviceStatus.PENDING_CREATE for d in mine),
            free_slots=sum(d.free_slots for d in active),
            waiting_slots=waiting_slots,
            failed_devices=sum(d.status in (DeviceStatus.ERROR, DeviceStatus.DEAD) for d in mine),
        )

    async def has_free_slots(self, *, template_id: uuid.UUID, slots: int) -> bool:
        self.store.pool_reads += 1
        return self._state(template_id, waiting_slots=0).free_slots >= slots

    async def idle_devices(self, *, template_id: uuid.UUID, idle_seconds: float) -> list[uuid.UUID]:
        return [
            device_id
            for device_id in self.store.idle
            if (device := self.store.devices.get(device_id)) is not None
            and device.template_id == template_id
            and device_id in self.store.pool_managed
            and device.status == DeviceStatus.ACTIVE
            and device.slots_used == 0
        ]

    async def add_device(
        self, *, device_id: uuid.UUID, tenant_id: str, template_id: uuid.UUID, slot_capacity: int
    ) -> None:
        device = Device(
            device_id, tenant_id, template_id, DeviceStatus.PENDING_CREATE, slot_capacity
        )
        self.store.devices[device_id] = device
        self.store.pool_managed.add(device_id)

    async def mark_releasing(self, *, device_id: uuid.UUID) -> None:
        device = self.store.devices[device_id]
        self.store.devices[device_id] = replace(device, status=DeviceStatus.PENDING_DELETE)


class FakeInstances(_Port):
    async def add(self, *, instance: ServiceInstance) -> bool:
        if instance.id in self.store.instances:
            return False
        self.store.instances[instance.id] = instance
        return True

    async def get(
        self, *, instance_id: uuid.UUID, for_update: bool = False
    ) -> ServiceInstance | None:
        found = self.store.instances.get(instance_id)
        return found.model_copy(update={"previous_status": None}) if found is not None else None

    async def save(self, *, instance: ServiceInstance, waiting: bool = False) -> None:
        self.store.instances[instance.id] = instance
        if waiting:
            self.store.waiting_since.setdefault(instance.id, next(self.store.clock))
        elif instance.status != ServiceInstanceStatus.PENDING_CREATE or instance.devices:
            self.store.waiting_since.pop(instance.id, None)

    async def stale_pending(self, *, older_than_seconds: float) -> list[uuid.UUID]:
        # No clock for changes here: every pending instance not waiting for room is stale.
        return [
            i.id
            for i in self.store.instances.values()
            if i.status in ServiceInstanceStatus.PENDING and i.id not in self.store.waiting_since
        ]

    async def delete(self, *, instance_id: uuid.UUID) -> None:
        self.store.instances.pop(instance_id, None)
        self.store.waiting_since.pop(instance_id, None)
        for key in [k for k in self.store.bindings if k[0] == instance_id]:
            del self.store.bindings[key]


class FakeWaiting(_Port):
    async def of_template(self, *, template_id: uuid.UUID) -> list[uuid.UUID]:
        return [i.id for i in self.store.waiting_of(template_id)]

    async def templates(self) -> list[uuid.UUID]:
        found = {
            self.store.service_types[self.store.instances[i].service_type_id][0]
            for i in self.store.waiting_since
        }
        return sorted(found)

    async def woken_by(self, *, template_id: uuid.UUID, device_id: uuid.UUID) -> list[uuid.UUID]:
        found = set(await self.templates()) & {template_id}
        for i in await self.naming(device_id=device_id):
            found.add(self.store.service_types[self.store.instances[i].service_type_id][0])
        return sorted(found)

    async def slots(
        self,
        *,
        template_id: uuid.UUID,
        policy: TemplatePolicy,
        excluding: uuid.UUID | None = None,
    ) -> int:
        total = 0
        for instance in self.store.waiting_of(template_id):
            if instance.id != excluding and not instance.requested_devices:
                service_type = self.store.service_types[instance.service_type_id][1]
                total += instance.bindings_wanted * policy.slots_for(service_type)
        return total

    async def naming(self, *, device_id: uuid.UUID) -> list[uuid.UUID]:
        waiting = (self.store.instances[i] for i in self.store.waiting_since)
        return sorted(i.id for i in waiting if device_id in i.requested_devices)

    async def stale(self, *, older_than_seconds: float) -> list[uuid.UUID]:
        return list(self.store.waiting_since)


class FakeBindings(_Port):
    async def unbind(self, *, instance_id: uuid.UUID, device_id: uuid.UUID) -> None:
        self.store.bindings.pop((instance_id, device_id), None)

    async def of_instance(self, *, instance_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        mine = [
            (pos, dev, slots)
            for (i, dev), (slots, pos) in self.store.bindings.items()
            if i == instance_id
        ]
        return [(dev, slots) for _, dev, slots in sorted(mine)]

    async def services_on(self, *, device_id: uuid.UUID) -> list[uuid.UUID]:
        return sorted(i for (i, dev) in self.store.bindings if dev == device_id)
