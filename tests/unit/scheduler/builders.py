"""Templates, devices and instances for the scheduler's unit tests, in a FakeStore."""

from __future__ import annotations

import uuid
from typing import Any

from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device, Template
from servicevm_scheduler.service_layer.placing import Outcome, place_new
from shared.contracts import commands
from shared.contracts.envelope import Message
from shared.contracts.statuses import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from tests.unit.scheduler.fakes import FakeStore

TENANT = "project-a"


def template(
    store: FakeStore,
    service_type: str = "firewall",
    *,
    mgmt_driver: str | None = None,
    attributes: dict[str, str] | None = None,
    **policy: Any,
) -> uuid.UUID:
    """A template offering one service type; the service type's id. ``mgmt_driver``: its
    devices', as the scheduler knows it (None: unknown)."""
    found = Template(uuid.uuid4(), "owner", TemplatePolicy(**policy), mgmt_driver, attributes or {})
    store.templates[found.id] = found
    service_type_id = uuid.uuid4()
    store.service_types[service_type_id] = (found.id, service_type)
    return service_type_id


def template_of(store: FakeStore, service_type_id: uuid.UUID) -> Template:
    return store.templates[store.service_types[service_type_id][0]]


def device(
    store: FakeStore,
    service_type_id: uuid.UUID,
    *,
    used: int = 0,
    status: str = DeviceStatus.ACTIVE,
    host: str | None = None,
    bound_tenant: str | None = None,
    pool_managed: bool = False,
) -> Device:
    owner = template_of(store, service_type_id)
    made = Device(
        id=uuid.uuid4(),
        tenant_id="owner",
        template_id=owner.id,
        status=status,
        slot_capacity=owner.policy.slot_capacity,
        slots_used=used,
        host=host,
        bound_tenant=bound_tenant,
    )
    store.devices[made.id] = made
    if pool_managed:
        store.pool_managed.add(made.id)
    return made


def instance(service_type_id: uuid.UUID, **changes: Any) -> ServiceInstance:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": TENANT,
        "name": "fw",
        "service_type_id": service_type_id,
        "service_table_id": None,
        # A driver that configures services: placed instances wait for mgmt's answer.
        "mgmt_driver": "http",
        "mgmt_address": None,
        "service_contexts": [],
        "requested_devices": [],
        "kwargs": {},
        "managed_by_user": True,
    }
    values.update(changes)
    return ServiceInstance(**values)


async def create(store: FakeStore, new: ServiceInstance) -> Outcome:
    """What the create handler does inside its transaction."""
    outcome = await place_new(store.scheduling(), new)
    assert outcome is not None
    return outcome


def published(store: FakeStore, kind: type[Message]) -> list[Any]:
    return [m for m in store.published if isinstance(m, kind)]


def devices_asked_for(store: FakeStore) -> int:
    return len(published(store, commands.CreateDevice))
