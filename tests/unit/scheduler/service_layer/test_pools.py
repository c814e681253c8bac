"""Growing a pool for what waits and the desired free slots; giving back idle devices."""

from __future__ import annotations

from servicevm_scheduler.service_layer.pools import grow, shrink
from shared.contracts import commands
from shared.contracts.statuses import DeviceStatus
from tests.unit.scheduler.builders import (
    create,
    device,
    devices_asked_for,
    instance,
    published,
    template,
    template_of,
)
from tests.unit.scheduler.fakes import FakeStore


async def test_grow_asks_for_what_waits_and_the_desired_free_slots_within_max() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=4, desired_slots_free=2)
    device(store, firewall, used=2)
    owner = template_of(store, firewall)
    assert await grow(store.scheduling(), owner, waiting_slots=3) == 3  # 3 + 2 slots, cap 4
    assert devices_asked_for(store) == 3
    assert await grow(store.scheduling(), owner, waiting_slots=3) == 0  # they are coming


async def test_with_the_desired_free_slots_there_growth_takes_no_lock() -> None:
    """After a placement (nothing waiting) one look at the free slots decides: no lock, no
    pool state; without them, the lock and the pool's state decide as before."""
    for used, grown in ((0, 0), (1, 1)):
        store = FakeStore()
        firewall = template(store, slot_capacity=2, max_devices=4, desired_slots_free=2)
        device(store, firewall, used=used)
        assert (
            await grow(store.scheduling(), template_of(store, firewall), waiting_slots=0) == grown
        )
        if grown:  # 1 free slot of 2 desired: the lock and the pool's state
            assert ([kind for kind, _ in store.locks], store.pool_reads) == (["try_template"], 2)
        else:
            assert (store.locks, store.pool_reads) == ([], 1)


async def test_a_template_without_max_devices_never_grows() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, desired_slots_free=4)
    assert await grow(store.scheduling(), template_of(store, firewall), waiting_slots=2) == 0
    assert store.locks == []


async def test_idle_pool_devices_beyond_the_desired_free_slots_are_released() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=5, desired_slots_free=4)
    device(store, firewall, used=1)  # 1 free slot, busy
    idle = [device(store, firewall, pool_managed=True) for _ in range(3)]
    by_hand = device(store, firewall)  # created through the API: never released
    store.idle = [d.id for d in (*idle, by_hand)]
    released = await shrink(store.scheduling(), template_of(store, firewall), idle_seconds=60)
    assert released == 2  # 9 free slots: two devices can go, a third would leave 3 < 4
    assert [m.id for m in published(store, commands.DeleteDevice)] == [d.id for d in idle[:2]]
    assert store.devices[idle[0].id].status == DeviceStatus.PENDING_DELETE
    assert store.devices[idle[2].id].status == DeviceStatus.ACTIVE
    assert store.devices[by_hand.id].status == DeviceStatus.ACTIVE


async def test_nothing_is_released_while_instances_wait() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=5)
    idle = device(store, firewall, pool_managed=True)
    store.idle = [idle.id]
    await create(store, instance(firewall, kwargs={"ha": True}))  # needs two hosts: waits
    assert store.waiting_since
    assert await shrink(store.scheduling(), template_of(store, firewall), idle_seconds=60) == 0
