"""A device back from a respawn on the host of another member of an HA instance it hosts:
that member moves to another host when one has room, else stays."""

from __future__ import annotations

import uuid
from dataclasses import replace

from servicevm_scheduler.service_layer.anti_affinity import keep_ha_apart
from shared.contracts.statuses import ServiceInstanceStatus
from tests.unit.scheduler.builders import create, device, instance, template
from tests.unit.scheduler.fakes import FakeStore


async def _ha_pair(
    store: FakeStore, *, spare: bool
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID | None]:
    firewall = template(store, slot_capacity=2)
    on_a = device(store, firewall, host="a", used=1)
    on_b = device(store, firewall, host="b", used=1)
    on_c = device(store, firewall, host="c") if spare else None
    placed = (await create(store, instance(firewall, kwargs={"ha": True}))).instance
    assert sorted(placed.devices) == sorted([on_a.id, on_b.id])
    await store.scheduling().instances.save(
        instance=placed.transition(ServiceInstanceStatus.ACTIVE)
    )
    # b was respawned and the cloud put its new instance on a's host.
    store.devices[on_b.id] = replace(store.devices[on_b.id], host="a")
    return placed.id, on_a.id, on_b.id, on_c.id if on_c else None


async def test_a_member_respawned_beside_another_moves_to_another_host() -> None:
    store = FakeStore()
    placed, a, b, c = await _ha_pair(store, spare=True)
    await keep_ha_apart(store.scheduling(), b)
    moved = store.instances[placed]
    assert c is not None and sorted(moved.devices) == sorted([a, c])
    assert moved.status == ServiceInstanceStatus.PENDING_UPDATE
    assert store.devices[b].slots_used == 1


async def test_without_room_on_another_host_the_member_stays() -> None:
    store = FakeStore()
    placed, a, b, _ = await _ha_pair(store, spare=False)
    await keep_ha_apart(store.scheduling(), b)
    stays = store.instances[placed]
    assert sorted(stays.devices) == sorted([a, b])
    assert stays.status == ServiceInstanceStatus.ACTIVE
