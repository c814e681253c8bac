"""A new instance whose management driver configures nothing (noop, its own or its template's
devices') is ACTIVE where it is placed: one status change, PENDING_CREATE then ACTIVE, that
carries the placement for mgmt to record, and no ``service_instance.placed`` for mgmt to
configure and answer. Any other driver, a driver the scheduler does not know, or a noop
told to fail its ``apply_service`` goes through mgmt. The same for an update (PENDING_UPDATE
then ACTIVE) and a delete (deleted at once, its slots freed) where the driver does nothing."""

from __future__ import annotations

from typing import Any

from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.service_layer.endings import begin_delete
from servicevm_scheduler.service_layer.placing import begin_update, place_waiting
from shared.contracts import events
from shared.contracts.statuses import ServiceInstanceStatus
from tests.unit.scheduler.builders import create, device, instance, published, template
from tests.unit.scheduler.fakes import FakeStore

ACTIVE, PENDING_CREATE = ServiceInstanceStatus.ACTIVE, ServiceInstanceStatus.PENDING_CREATE


def _status_changes(store: FakeStore) -> list[events.ServiceInstanceStatusChanged]:
    return published(store, events.ServiceInstanceStatusChanged)


async def test_on_a_noop_template_a_new_instance_is_active_where_it_is_placed() -> None:
    store = FakeStore()
    firewall = template(store, mgmt_driver="noop", slot_capacity=4)
    host = device(store, firewall)
    # The first create reads the template, the second takes the remembered one's fast path.
    for _ in range(2):
        store.published.clear()
        outcome = await create(store, instance(firewall, mgmt_driver=None))
        assert outcome.instance.status == ACTIVE and outcome.instance.devices == [host.id]
        assert store.instances[outcome.instance.id].status == ACTIVE
        assert published(store, events.ServiceInstancePlaced) == []
        *_, changed = _status_changes(store)
        assert changed.instance.status == ACTIVE and changed.instance.devices == [host.id]
        entered = [state.status for m in _status_changes(store) for state, _ in m.changes()]
        assert entered == [PENDING_CREATE, ACTIVE]  # in one message or two, in order
        assert changed.placed is not None
        assert (changed.placed.devices, changed.placed.operation) == ([host.id], "create")
        assert changed.placed.configuration["service_type"] == "firewall"
        assert len(published(store, events.DeviceCapacityChanged)) == 1
    assert store.devices[host.id].slots_used == 2


async def test_the_fast_path_announces_one_message_from_pending_create() -> None:
    store = FakeStore()
    firewall = template(store, mgmt_driver="noop", slot_capacity=4)
    device(store, firewall)
    await create(store, instance(firewall, mgmt_driver=None))  # remembers the template
    store.published.clear()
    outcome = await create(store, instance(firewall, mgmt_driver=None))
    (changed,) = _status_changes(store)
    assert changed.previous_status is None  # a new instance
    assert [(s.status, s.revision) for s in changed.passed] == [(PENDING_CREATE, 1)]
    assert (changed.instance.status, changed.instance.revision) == (ACTIVE, 2)
    assert changed.first.devices == outcome.instance.devices


async def test_its_own_noop_driver_skips_mgmt_on_any_template() -> None:
    store = FakeStore()
    firewall = template(store, mgmt_driver="http", slot_capacity=4)
    device(store, firewall)
    outcome = await create(store, instance(firewall, mgmt_driver="noop"))
    assert outcome.instance.status == ACTIVE


async def test_ha_on_noop_is_active_on_both_devices() -> None:
    store = FakeStore()
    firewall = template(store, mgmt_driver="noop", slot_capacity=2)
    a, b = device(store, firewall, host="a"), device(store, firewall, host="b")
    outcome = await create(store, instance(firewall, mgmt_driver=None, kwargs={"ha": True}))
    assert outcome.instance.status == ACTIVE
    assert sorted(outcome.instance.devices) == sorted([a.id, b.id])
    *_, changed = _status_changes(store)
    assert changed.placed is not None and sorted(changed.placed.devices) == sorted([a.id, b.id])


async def test_a_waiting_instance_is_active_when_room_appears() -> None:
    store = FakeStore()
    firewall = template(store, mgmt_driver="noop", slot_capacity=1, max_devices=1)
    waiting = await create(store, instance(firewall, mgmt_driver=None))
    assert waiting.instance.status == PENDING_CREATE and waiting.waits_for is not None
    host = device(store, firewall)
    store.published.clear()
    await place_waiting(store.scheduling(), template_id=waiting.waits_for)
    placed = store.instances[waiting.instance.id]
    assert placed.status == ACTIVE and placed.devices == [host.id]
    (changed,) = _status_changes(store)
    # Announced PENDING_CREATE while it waited: this message is its one change, to ACTIVE.
    assert changed.previous_status == PENDING_CREATE and changed.passed == []
    assert changed.placed is not None and changed.placed.devices == [host.id]


async def test_drivers_that_configure_or_are_unknown_go_through_mgmt() -> None:
    cases = [
        ({"mgmt_driver": "http"}, None),
        ({"mgmt_driver": None}, None),  # a template projected before its driver was kept
        ({"mgmt_driver": "noop", "attributes": {"noop_mgmt_fail": "apply_service"}}, None),
        ({"mgmt_driver": "noop"}, "ssh"),  # the instance's own driver configures
    ]
    for template_fields, own_driver in cases:
        store = FakeStore()
        firewall = template(store, slot_capacity=4, **template_fields)  # type: ignore[arg-type]
        host = device(store, firewall)
        outcome = await create(store, instance(firewall, mgmt_driver=own_driver))
        assert outcome.instance.status == PENDING_CREATE, template_fields
        (placed,) = published(store, events.ServiceInstancePlaced)
        assert placed.devices == [host.id]
        assert all(m.placed is None for m in _status_changes(store))


async def _active_on_noop(store: FakeStore, **template_fields: Any) -> ServiceInstance:
    firewall = template(store, slot_capacity=4, **template_fields)
    device(store, firewall)
    outcome = await create(store, instance(firewall, mgmt_driver=None, kwargs={"rules": 1}))
    active = store.instances[outcome.instance.id]
    if active.status != ACTIVE:  # through mgmt: as its answer would make it
        active = active.transition(ACTIVE)
        await store.scheduling().instances.save(instance=active)
    store.published.clear()
    return active


async def test_an_update_on_noop_is_active_at_once_with_its_new_configuration() -> None:
    store = FakeStore()
    active = await _active_on_noop(store, mgmt_driver="noop")
    await begin_update(store.scheduling(), active, name="edge", kwargs={"rules": 2})
    updated = store.instances[active.id]
    assert (updated.status, updated.name, updated.kwargs) == (ACTIVE, "edge", {"rules": 2})
    assert published(store, events.ServiceInstancePlaced) == []
    (changed,) = _status_changes(store)
    assert [(state.status, was) for state, was in changed.changes()] == [
        (ServiceInstanceStatus.PENDING_UPDATE, ACTIVE),
        (ACTIVE, ServiceInstanceStatus.PENDING_UPDATE),
    ]
    assert changed.placed is not None and changed.placed.operation == "update"
    assert changed.placed.configuration["kwargs"] == {"rules": 2}


async def test_an_update_through_mgmt_waits_for_its_answer() -> None:
    store = FakeStore()
    active = await _active_on_noop(store, mgmt_driver="http")
    await begin_update(store.scheduling(), active, name="edge", kwargs={"rules": 2})
    assert store.instances[active.id].status == ServiceInstanceStatus.PENDING_UPDATE
    (placed,) = published(store, events.ServiceInstancePlaced)
    assert placed.operation == "update" and placed.configuration["kwargs"] == {"rules": 2}


async def test_a_delete_on_noop_frees_the_slots_at_once() -> None:
    store = FakeStore()
    active = await _active_on_noop(store, mgmt_driver="noop")
    (host,) = active.devices
    await begin_delete(store.scheduling(), active)
    assert active.id not in store.instances
    assert store.devices[host].slots_used == 0
    assert published(store, events.ServiceInstanceReleasing) == []
    (deleting,) = _status_changes(store)
    assert deleting.instance.status == ServiceInstanceStatus.PENDING_DELETE
    (deleted,) = published(store, events.ServiceInstanceDeleted)
    assert deleted.previous_status == ServiceInstanceStatus.PENDING_DELETE


async def test_a_delete_mgmt_must_remove_waits_for_it() -> None:
    for template_fields in (
        {"mgmt_driver": "http"},
        {"mgmt_driver": "noop", "attributes": {"noop_mgmt_fail": "remove_service"}},
    ):
        store = FakeStore()
        active = await _active_on_noop(store, **template_fields)
        await begin_delete(store.scheduling(), active)
        assert store.instances[active.id].status == ServiceInstanceStatus.PENDING_DELETE
        (releasing,) = published(store, events.ServiceInstanceReleasing)
        assert releasing.devices == active.devices
        assert published(store, events.ServiceInstanceDeleted) == []
