"""Service instances: their bindings wanted and their state machine."""

from __future__ import annotations

import uuid

import pytest

from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts.statuses import ServiceInstanceStatus


def _instance(**changes: object) -> ServiceInstance:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "tenant_id": "p",
        "name": "fw",
        "service_type_id": uuid.uuid4(),
        "service_table_id": None,
        "mgmt_driver": None,
        "mgmt_address": None,
        "service_contexts": [],
        "requested_devices": [],
        "kwargs": {},
        "managed_by_user": True,
    }
    values.update(changes)
    return ServiceInstance(**values)


def test_ha_instance_wants_two_bindings() -> None:
    assert _instance().bindings_wanted == 1
    assert _instance(kwargs={"ha": True}).bindings_wanted == 2
    assert _instance(kwargs={"ha": "true"}).bindings_wanted == 1


def test_instance_transitions_and_announcements() -> None:
    instance = _instance()
    placed = instance.changed(devices=[uuid.uuid4()])
    assert (
        placed.previous_status == ServiceInstanceStatus.PENDING_CREATE
    )  # same status: not a new notification
    active = placed.transition(ServiceInstanceStatus.ACTIVE)
    assert (active.previous_status, active.revision) == (ServiceInstanceStatus.PENDING_CREATE, 3)
    updating = active.transition(ServiceInstanceStatus.PENDING_UPDATE).changed(devices=[])
    assert (
        updating.previous_status == ServiceInstanceStatus.ACTIVE
    )  # the transition is still announced
    with pytest.raises(ValueError, match="cannot go from ERROR to ACTIVE"):
        instance.transition(ServiceInstanceStatus.ERROR).transition(ServiceInstanceStatus.ACTIVE)


def test_snapshot_is_the_contract_fields_with_plain_statuses() -> None:
    asked = uuid.uuid4()
    hosting = uuid.uuid4()
    instance = _instance(requested_devices=[asked]).changed(devices=[hosting])
    active = instance.transition(ServiceInstanceStatus.ACTIVE)
    snapshot = active.snapshot()
    assert snapshot.model_dump() == active.model_dump(
        exclude={"requested_devices", "previous_status"}
    )
    assert (snapshot.devices, snapshot.revision) == ([hosting], 3)
    assert type(snapshot.status) is str and snapshot.status == "ACTIVE"
