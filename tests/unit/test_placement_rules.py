"""Pure placement rules: template policies, pool sizing, instance states, topology."""

from __future__ import annotations

import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest

from servicevm_api.domain.rules import instance_delete_refusal, instance_update_refusal
from servicevm_api.domain.topology import build_topology
from servicevm_scheduler.domain import pool
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts.models import DeviceStatus
from shared.contracts.template_policy import InvalidPolicy, TemplatePolicy

S = DeviceStatus


def test_policy_defaults() -> None:
    policy = TemplatePolicy.from_attributes({})
    assert policy.slot_capacity == 1
    assert policy.slots_for("firewall") == 1
    assert policy.placement == "pack"
    assert not policy.tenant_bound
    assert not policy.can_grow
    assert not policy.reschedule_on_device_loss


def test_policy_reads_every_attribute() -> None:
    policy = TemplatePolicy.from_attributes(
        {
            "slot_capacity": "8",
            "slots.vpn": "3",
            "placement": "spread",
            "tenant_bound": "true",
            "desired_slots_free": "4",
            "max_devices": "5",
            "reschedule_on_device_loss": "yes",
        }
    )
    assert policy.slot_capacity == 8
    assert policy.slots_for("vpn") == 3
    assert policy.slots_for("firewall") == 1
    assert policy.placement == "spread"
    assert policy.tenant_bound
    assert policy.desired_slots_free == 4
    assert policy.max_devices == 5
    assert policy.reschedule_on_device_loss


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ({"slot_capacity": "0"}, "slot_capacity"),
        ({"slot_capacity": "many"}, "slot_capacity"),
        ({"slots.vpn": "-1"}, "slots.vpn"),
        ({"placement": "random"}, "placement"),
        ({"tenant_bound": "perhaps"}, "tenant_bound"),
        ({"max_devices": "-2"}, "max_devices"),
        ({"desired_slots_free": "x"}, "desired_slots_free"),
    ],
)
def test_unusable_attribute_is_named(attributes: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidPolicy, match=named):
        TemplatePolicy.from_attributes(attributes)
    assert TemplatePolicy.lenient(attributes) == TemplatePolicy()


POOL = TemplatePolicy(slot_capacity=10, max_devices=12)


def test_waiting_fits_while_pending_or_growable_devices_have_room() -> None:
    full = pool.PoolState(active_devices=10, pending_devices=0, free_slots=0, waiting_slots=0)
    assert pool.can_wait_for(POOL, full, 1)
    assert pool.can_wait_for(POOL, full, 20)
    assert not pool.can_wait_for(POOL, full, 21)
    queued = pool.PoolState(active_devices=10, pending_devices=2, free_slots=0, waiting_slots=20)
    assert not pool.can_wait_for(POOL, queued, 1)


def test_failed_devices_count_against_max_devices() -> None:
    """Else a template whose devices keep failing would make the pool create them forever."""
    state = pool.PoolState(
        active_devices=10, pending_devices=0, free_slots=0, waiting_slots=0, failed_devices=2
    )
    assert pool.room_to_grow(POOL, state) == 0
    assert not pool.can_wait_for(POOL, state, 1)
    assert pool.devices_to_create(POOL, replace(state, waiting_slots=5)) == 0


def test_no_growth_without_max_devices() -> None:
    state = pool.PoolState(active_devices=1, pending_devices=0, free_slots=0, waiting_slots=5)
    assert pool.devices_to_create(TemplatePolicy(slot_capacity=10), state) == 0
    assert not pool.can_wait_for(TemplatePolicy(slot_capacity=10), state, 1)


def test_growth_covers_waiting_and_desired_free_within_max() -> None:
    state = pool.PoolState(active_devices=10, pending_devices=1, free_slots=0, waiting_slots=11)
    assert pool.devices_to_create(POOL, state) == 1
    desired = TemplatePolicy(slot_capacity=10, max_devices=12, desired_slots_free=25)
    assert pool.devices_to_create(desired, state) == 1  # capped by max_devices
    idle = pool.PoolState(active_devices=2, pending_devices=0, free_slots=20, waiting_slots=0)
    assert pool.devices_to_create(desired, idle) == 1


def test_release_keeps_desired_free_slots() -> None:
    policy = TemplatePolicy(slot_capacity=10, max_devices=12, desired_slots_free=10)
    idle = [uuid.uuid4() for _ in range(3)]
    state = pool.PoolState(active_devices=4, pending_devices=0, free_slots=35, waiting_slots=0)
    assert pool.devices_to_release(policy, state, idle) == idle[:2]
    waiting = pool.PoolState(active_devices=4, pending_devices=0, free_slots=35, waiting_slots=1)
    assert pool.devices_to_release(policy, waiting, idle) == []


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
    return ServiceInstance(**values)  # type: ignore[arg-type]


def test_ha_instance_wants_two_bindings() -> None:
    assert _instance().bindings_wanted == 1
    assert _instance(kwargs={"ha": True}).bindings_wanted == 2
    assert _instance(kwargs={"ha": "true"}).bindings_wanted == 1


def test_instance_transitions_and_announcements() -> None:
    instance = _instance()
    placed = instance.changed(devices=[uuid.uuid4()])
    assert placed.previous_status == S.PENDING_CREATE  # same status: not a new notification
    active = placed.transition(S.ACTIVE)
    assert (active.previous_status, active.revision) == (S.PENDING_CREATE, 3)
    updating = active.transition(S.PENDING_UPDATE).changed(devices=[])
    assert updating.previous_status == S.ACTIVE  # the transition is still announced
    with pytest.raises(ValueError, match="cannot go from ERROR to ACTIVE"):
        instance.transition(S.ERROR).transition(S.ACTIVE)


def test_update_rules() -> None:
    assert "managed by another service" in (
        instance_update_refusal(S.ACTIVE, managed_by_user=False) or ""
    )
    assert instance_update_refusal(S.ACTIVE, managed_by_user=True) is None
    assert "PENDING_CREATE" in (
        instance_update_refusal(S.PENDING_CREATE, managed_by_user=True) or ""
    )


def test_delete_rules() -> None:
    assert instance_delete_refusal(S.ACTIVE, placed=True) is None
    assert instance_delete_refusal(S.PENDING_CREATE, placed=False) is None
    assert instance_delete_refusal(S.PENDING_CREATE, placed=True) is not None
    assert instance_delete_refusal(S.PENDING_DELETE, placed=True) is not None


def test_topology_groups_devices_by_host() -> None:
    net = str(uuid.uuid4())
    first, second, third = (uuid.uuid4() for _ in range(3))
    devices = [
        SimpleNamespace(
            id=device_id,
            template_id=uuid.uuid4(),
            status="ACTIVE",
            host=host,
            availability_zone=zone,
            slot_capacity=4,
            slots_used=used,
            service_contexts=[{"network_id": net, "port_id": None}],
        )
        for device_id, host, zone, used in (
            (first, "h1", "az1", 2),
            (second, "h1", "az1", 0),
            (third, None, None, 0),
        )
    ]
    instance = SimpleNamespace(
        id=uuid.uuid4(),
        name="fw",
        service_type_id=uuid.uuid4(),
        status="ACTIVE",
        devices=[str(first)],
    )
    topology = build_topology(devices, [instance])
    assert [h.host for h in topology.hosts] == ["h1", None]
    h1 = topology.hosts[0]
    assert h1.availability_zones == ["az1"]
    assert [d.id for d in h1.devices] == [first, second]
    assert (h1.devices[0].slots_used, h1.devices[0].slots_free) == (2, 2)
    assert [i.id for i in h1.devices[0].service_instances] == [instance.id]
    assert h1.devices[0].networks == [uuid.UUID(net)]
    assert h1.devices[1].service_instances == []
