"""Ending a placement: a deleted instance frees its slots for the waiting; a lost device
moves its instances elsewhere when the template says so, else fails them."""

from __future__ import annotations

from dataclasses import replace

from servicevm_scheduler.service_layer.endings import device_dead, device_lost, finish_delete
from shared.contracts import events
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus
from tests.unit.scheduler.builders import create, device, instance, published, template, template_of
from tests.unit.scheduler.fakes import FakeStore


async def test_finishing_a_delete_frees_the_slots_and_places_the_waiting() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=1, max_devices=2)
    only = device(store, firewall)
    device(store, firewall, status=DeviceStatus.PENDING_CREATE)
    placed = (await create(store, instance(firewall))).instance
    waiting = (await create(store, instance(firewall))).instance
    assert waiting.id in store.waiting_since  # for the device being created
    deleting = placed.transition(ServiceInstanceStatus.PENDING_DELETE)
    await finish_delete(store.scheduling(), deleting)
    assert placed.id not in store.instances
    assert store.instances[waiting.id].devices == [only.id]
    (deleted,) = published(store, events.ServiceInstanceDeleted)
    assert deleted.previous_status == ServiceInstanceStatus.PENDING_DELETE


async def test_a_lost_device_fails_its_instances_unless_the_template_reschedules() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2)
    lost, spare = device(store, firewall), device(store, firewall)
    placed = (await create(store, instance(firewall))).instance
    assert placed.devices == [lost.id] or placed.devices == [spare.id]
    gone = store.devices.pop(placed.devices[0])
    await device_lost(store.scheduling(), placed.id, gone, template_of(store, firewall))
    failed = store.instances[placed.id]
    assert (failed.status, failed.devices) == (ServiceInstanceStatus.ERROR, [])
    assert f"device {gone.id} hosting it was deleted" in (failed.error_reason or "")


async def test_a_rescheduled_ha_instance_keeps_its_hosts_apart() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=4, reschedule_on_device_loss=True)
    on_a = device(store, firewall, host="a", used=2)
    device(store, firewall, host="b", used=1)
    on_a_too = device(store, firewall, host="a", used=1)  # pack's choice, were it not on a
    on_c = device(store, firewall, host="c")
    placed = (await create(store, instance(firewall, kwargs={"ha": True}))).instance
    active = placed.transition(ServiceInstanceStatus.ACTIVE)
    await store.scheduling().instances.save(instance=active)
    assert placed.devices[0] == on_a.id
    lost_id = placed.devices[1]
    gone = store.devices.pop(lost_id)
    await device_lost(store.scheduling(), placed.id, gone, template_of(store, firewall))
    moved = store.instances[placed.id]
    assert moved.status == ServiceInstanceStatus.PENDING_UPDATE
    assert moved.devices == [on_a.id, on_c.id]  # not on_a_too: host a holds the other copy
    assert on_a_too.id not in moved.devices
    assert published(store, events.ServiceInstancePlaced)[-1].operation == "update"


async def test_losing_the_last_device_of_a_deleting_instance_finishes_the_delete() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2)
    device(store, firewall)
    placed = (await create(store, instance(firewall))).instance
    await store.scheduling().instances.save(
        instance=placed.transition(ServiceInstanceStatus.PENDING_DELETE)
    )
    gone = store.devices.pop(placed.devices[0])
    await device_lost(store.scheduling(), placed.id, gone, template_of(store, firewall))
    assert placed.id not in store.instances
    assert published(store, events.ServiceInstanceDeleted)


async def test_a_dead_device_gives_back_its_slots_and_its_instances_move() -> None:
    store = FakeStore()
    firewall = template(store, slot_capacity=2, reschedule_on_device_loss=True)
    doomed = device(store, firewall, used=1)  # pack's choice
    spare = device(store, firewall)
    placed = (await create(store, instance(firewall))).instance
    assert placed.devices == [doomed.id]
    active = placed.transition(ServiceInstanceStatus.ACTIVE)
    await store.scheduling().instances.save(instance=active)
    dead = store.devices[doomed.id] = replace(store.devices[doomed.id], status=DeviceStatus.DEAD)
    await device_dead(store.scheduling(), placed.id, dead, template_of(store, firewall))
    moved = store.instances[placed.id]
    assert (moved.status, moved.devices) == (ServiceInstanceStatus.PENDING_UPDATE, [spare.id])
    assert store.devices[doomed.id].slots_used == 1  # its own slot given back, the row kept
    assert published(store, events.ServiceInstancePlaced)[-1].devices == [spare.id]
    await device_dead(store.scheduling(), placed.id, dead, template_of(store, firewall))
    assert store.instances[placed.id].devices == [spare.id]  # a redelivery moves nothing
