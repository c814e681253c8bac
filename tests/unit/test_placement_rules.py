"""Pure rules the api applies: template policies, instance states, topology.

The scheduler's own rules (pool sizing, its instances) are under tests/unit/scheduler/."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from servicevm_api.domain.rules import instance_delete_refusal, instance_update_refusal
from servicevm_api.domain.topology import build_topology
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
