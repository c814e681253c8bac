"""Placing a new instance: which devices it gets, and when it waits, grows the pool or fails."""

from __future__ import annotations

import uuid
from dataclasses import replace

from servicevm_scheduler.service_layer.endings import requested_device_gone
from servicevm_scheduler.service_layer.placing import place_waiting
from shared.contracts import commands, events
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus
from shared.contracts.template_policy import TemplatePolicy
from tests.unit.scheduler.builders import (
    TENANT,
    create,
    device,
    devices_asked_for,
    instance,
    published,
    template,
    template_of,
)
from tests.unit.scheduler.fakes import FakeStore


async def test_pack_fills_the_fullest_device_first() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    device(store, firewall, used=0)
    fuller = device(store, firewall, used=2)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.devices == [fuller.id]
    assert store.devices[fuller.id].slots_used == 3
    (placed,) = published(store, events.ServiceInstancePlaced)
    assert (placed.devices, placed.operation) == ([fuller.id], "create")
    (capacity,) = published(store, events.DeviceCapacityChanged)
    assert (capacity.slots_used, capacity.services) == (3, [outcome.instance.id])


async def test_a_new_instance_is_placed_by_the_remembered_template_only_while_it_holds() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    emptier, fuller = device(store, firewall, used=0), device(store, firewall, used=2)
    first = await create(store, instance(firewall))  # reads the template: remembered
    assert first.instance.devices == [fuller.id]
    owner = template_of(store, firewall)
    assert store.remembered[firewall].template == owner
    store.templates[owner.id] = replace(owner, policy=replace(owner.policy, placement="spread"))
    second = await create(store, instance(firewall))
    assert second.instance.devices == [emptier.id]  # by the template as it is now
    assert store.remembered[firewall].template.policy.placement == "spread"


async def test_spread_takes_the_emptiest_device() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4, placement="spread")
    emptier = device(store, firewall, used=1)
    device(store, firewall, used=2)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.devices == [emptier.id]


async def test_a_service_type_takes_its_own_slot_count() -> None:
    store = FakeStore()
    vpn = template(store, "vpn", slot_capacity=4, service_slots={"vpn": 3})
    device(store, vpn, used=2)
    roomy = device(store, vpn, used=1)
    outcome = await create(store, instance(vpn))
    assert outcome.instance.devices == [roomy.id]
    assert store.devices[roomy.id].slots_used == 4


async def test_ha_binds_two_devices_on_different_hosts() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    a1 = device(store, firewall, used=2, host="a")
    device(store, firewall, used=1, host="a")
    b = device(store, firewall, used=0, host="b")
    device(store, firewall, used=3, host=None)  # unknown host: never for HA
    outcome = await create(store, instance(firewall, kwargs={"ha": True}))
    assert outcome.instance.devices == [a1.id, b.id]
    assert {store.devices[d].host for d in outcome.instance.devices} == {"a", "b"}


async def test_ha_fails_when_one_host_holds_all_the_room() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    device(store, firewall, host="a")
    device(store, firewall, host="a")
    outcome = await create(store, instance(firewall, kwargs={"ha": True}))
    assert outcome.instance.status == ServiceInstanceStatus.ERROR
    assert "on different known hosts" in (outcome.instance.error_reason or "")
    assert "found 1" in (outcome.instance.error_reason or "")
    assert all(d.slots_used == 0 for d in store.devices.values())  # nothing half-bound


async def test_tenant_bound_devices_serve_one_project() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4, tenant_bound=True)
    device(store, firewall, used=3, bound_tenant="someone-else")
    free = device(store, firewall, used=0)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.devices == [free.id]
    assert store.devices[free.id].bound_tenant == TENANT


async def test_room_is_found_without_the_template_lock() -> None:
    """The fast path: SKIP LOCKED pick, no advisory lock (growth, with the desired free
    slots still there, needs none either)."""
    store = FakeStore()
    firewall = template(store, slot_capacity=4, max_devices=3, desired_slots_free=1)
    device(store, firewall)
    await create(store, instance(firewall))
    assert store.locks == []
    assert [skip for _, skip in store.picks] == [True]


async def test_a_pool_wanting_no_free_slots_is_not_read_after_a_placement() -> None:
    """Nothing waits and no free slots are desired: no device to create whatever the pool
    holds, so growth neither tries the lock nor reads the pool."""
    store = FakeStore()
    firewall = template(store, slot_capacity=4, max_devices=3)
    device(store, firewall, used=3)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.devices
    assert store.locks == []
    assert devices_asked_for(store) == 0


async def test_no_room_takes_the_template_lock_and_looks_again() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    outcome = await create(store, instance(firewall))
    assert ("template", template_of(store, firewall).id) in store.locks
    assert [skip for _, skip in store.picks] == [True, False]
    assert outcome.instance.status == ServiceInstanceStatus.ERROR


async def test_no_room_without_max_devices_fails() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=1)
    device(store, firewall, used=1)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.status == ServiceInstanceStatus.ERROR
    assert "sets no max_devices, so the pool cannot grow" in (outcome.instance.error_reason or "")
    assert devices_asked_for(store) == 0


async def test_no_room_below_max_devices_waits_and_grows_the_pool() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=3)
    device(store, firewall, used=2)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.status == ServiceInstanceStatus.PENDING_CREATE
    assert (outcome.waiting_slots, outcome.waits_for) == (1, template_of(store, firewall).id)
    assert outcome.instance.id in store.waiting_since
    (create_device,) = published(store, commands.CreateDevice)
    assert store.devices[create_device.id].status == DeviceStatus.PENDING_CREATE
    assert create_device.id in store.pool_managed


async def test_a_pending_device_with_room_is_waited_for_without_growing() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=2)
    device(store, firewall, used=2)
    device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    first = await create(store, instance(firewall))
    second = await create(store, instance(firewall))
    assert (first.waiting_slots, second.waiting_slots) == (1, 1)
    assert devices_asked_for(store) == 0
    third = await create(store, instance(firewall))  # the pending device's 2 slots are taken
    assert third.instance.status == ServiceInstanceStatus.ERROR
    reason = third.instance.error_reason or ""
    assert "at its max_devices (2) with 1 device(s) being created" in reason


async def test_failed_devices_count_against_max_devices() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=1, max_devices=2)
    device(store, firewall, used=1)
    device(store, firewall, status=DeviceStatus.ERROR)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.status == ServiceInstanceStatus.ERROR
    assert "1 in ERROR (delete them to make room)" in (outcome.instance.error_reason or "")


async def test_growth_waits_for_no_one_holding_the_template_lock() -> None:
    """Growth only tries the lock: whoever holds it decides on growth instead."""
    store = FakeStore(lock_free=False)
    firewall = template(store, slot_capacity=1, max_devices=3)
    outcome = await create(store, instance(firewall))
    assert outcome.instance.status == ServiceInstanceStatus.PENDING_CREATE
    assert devices_asked_for(store) == 0


async def test_growth_after_placement_keeps_the_desired_free_slots() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, max_devices=3, desired_slots_free=2)
    device(store, firewall, used=0)
    await create(store, instance(firewall))
    assert devices_asked_for(store) == 1


async def test_a_service_type_bigger_than_any_device_fails_at_once() -> None:
    store = FakeStore()
    vpn = template(store, "vpn", slot_capacity=2, max_devices=5, service_slots={"vpn": 3})
    outcome = await create(store, instance(vpn))
    assert "needs 3 slot(s) but a device of template" in (outcome.instance.error_reason or "")
    assert devices_asked_for(store) == 0


async def test_an_unknown_service_type_waits_for_its_template() -> None:
    store = FakeStore()
    unknown = uuid.uuid4()
    outcome = await create(store, instance(unknown))
    assert outcome.instance.status == ServiceInstanceStatus.PENDING_CREATE
    assert outcome.waits_for is None
    assert store.locks == [("service_type", unknown)]  # serialized with the template's arrival
    assert unknown in [store.instances[i].service_type_id for i in store.waiting_since]


async def test_requested_devices_are_honoured_over_the_policy() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    device(store, firewall, used=3)
    named = device(store, firewall, used=0)
    outcome = await create(store, instance(firewall, requested_devices=[named.id]))
    assert outcome.instance.devices == [named.id]
    assert store.picks == []
    assert ("template", named.template_id) in store.locks


async def test_a_refused_requested_device_fails_the_instance_without_waiting() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=1, max_devices=5)
    full = device(store, firewall, used=1)
    outcome = await create(store, instance(firewall, requested_devices=[full.id]))
    assert outcome.instance.status == ServiceInstanceStatus.ERROR
    assert f"requested device {full.id} has 0 free slot(s)" in (outcome.instance.error_reason or "")
    assert devices_asked_for(store) == 0


async def test_a_requested_device_not_yet_active_here_is_waited_for() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4, max_devices=5)
    missing = uuid.uuid4()
    early = await create(store, instance(firewall, requested_devices=[missing]))
    assert early.instance.status == ServiceInstanceStatus.PENDING_CREATE
    assert early.waits_for == template_of(store, firewall).id
    assert list(store.waiting_since) == [early.instance.id]
    assert devices_asked_for(store) == 0  # a named device is no reason to grow the pool
    booting = device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    second = await create(store, instance(firewall, requested_devices=[booting.id]))
    assert second.instance.status == ServiceInstanceStatus.PENDING_CREATE
    store.devices[booting.id] = replace(booting, status=DeviceStatus.ACTIVE)
    await place_waiting(store.scheduling(), template_id=template_of(store, firewall).id)
    assert store.instances[second.instance.id].devices == [booting.id]
    assert list(store.waiting_since) == [early.instance.id]


async def test_a_requested_device_in_error_is_refused_at_once() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    broken = device(store, firewall, status=DeviceStatus.ERROR)
    outcome = await create(store, instance(firewall, requested_devices=[broken.id]))
    assert outcome.instance.status == ServiceInstanceStatus.ERROR
    assert f"requested device {broken.id} is ERROR, not ACTIVE" in (
        outcome.instance.error_reason or ""
    )


async def test_ha_rules_for_requested_devices() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    one, same_host = device(store, firewall, host="a"), device(store, firewall, host="a")
    alone = await create(store, instance(firewall, kwargs={"ha": True}, requested_devices=[one.id]))
    assert alone.instance.error_reason == "HA needs at least two requested devices"
    twin = instance(firewall, kwargs={"ha": True}, requested_devices=[one.id, same_host.id])
    assert "different known hosts" in ((await create(store, twin)).instance.error_reason or "")


async def test_a_requested_device_being_created_is_waited_for_then_used() -> None:
    """Named devices the scheduler does not know yet, or knows as PENDING_CREATE, are waited
    for (with the template's waiting instances, asking the pool for nothing); once ACTIVE
    the instance is placed on them."""
    store = FakeStore()
    firewall = template(store, slot_capacity=4, max_devices=3)
    device(store, firewall, used=0)  # room elsewhere: the client's choice still wins
    coming = device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    unknown_id = uuid.uuid4()
    owner = template_of(store, firewall).id
    first = await create(store, instance(firewall, requested_devices=[coming.id]))
    second = await create(store, instance(firewall, requested_devices=[unknown_id]))
    for outcome in (first, second):
        assert outcome.instance.status == ServiceInstanceStatus.PENDING_CREATE
        assert (outcome.waits_for, outcome.waiting_slots) == (owner, 0)
        assert outcome.instance.devices == []
    assert [i.id for i in store.waiting_of(owner)] == [first.instance.id, second.instance.id]
    assert devices_asked_for(store) == 0
    assert await store.scheduling().waiting.slots(template_id=owner, policy=TemplatePolicy()) == 0

    store.devices[coming.id] = replace(coming, status=DeviceStatus.ACTIVE)
    store.devices[unknown_id] = replace(coming, id=unknown_id, status=DeviceStatus.ACTIVE)
    await place_waiting(store.scheduling(), template_id=owner)
    assert store.instances[first.instance.id].devices == [coming.id]
    assert store.instances[second.instance.id].devices == [unknown_id]
    assert store.waiting_since == {}


async def test_a_waited_for_device_in_error_or_deleted_fails_the_instance() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4)
    owner = template_of(store, firewall).id
    broken = device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    gone = device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    on_broken = await create(store, instance(firewall, requested_devices=[broken.id]))
    on_gone = await create(store, instance(firewall, requested_devices=[gone.id]))
    store.devices[broken.id] = replace(broken, status=DeviceStatus.ERROR)
    await place_waiting(store.scheduling(), template_id=owner)
    failed = store.instances[on_broken.instance.id]
    assert failed.status == ServiceInstanceStatus.ERROR
    assert failed.error_reason == f"requested device {broken.id} is ERROR, not ACTIVE"
    assert store.instances[on_gone.instance.id].status == ServiceInstanceStatus.PENDING_CREATE

    del store.devices[gone.id]
    await requested_device_gone(store.scheduling(), gone.id)
    failed = store.instances[on_gone.instance.id]
    assert failed.status == ServiceInstanceStatus.ERROR
    assert failed.error_reason == f"requested device {gone.id} was deleted"
    assert store.waiting_since == {}


async def test_waiting_instances_are_placed_oldest_first_when_room_appears() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=1, max_devices=2)
    first = await create(store, instance(firewall))
    second = await create(store, instance(firewall))
    assert devices_asked_for(store) == 2
    coming = [d.id for d in store.devices.values()]
    store.devices[coming[0]] = replace(store.devices[coming[0]], status=DeviceStatus.ACTIVE)
    await place_waiting(store.scheduling(), template_id=template_of(store, firewall).id)
    assert store.instances[first.instance.id].devices == [coming[0]]
    assert store.instances[second.instance.id].devices == []
    assert list(store.waiting_since) == [second.instance.id]
