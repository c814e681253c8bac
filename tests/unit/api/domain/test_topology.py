"""Hosts → devices → service instances, with used and free slots."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from servicevm_api.domain.topology import build_topology


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
