"""The scheduler's SQL device pick against Postgres: it applies the rule written in
``domain.choice`` (which the unit tests' fake uses), and slots are never overbooked."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_scheduler.adapters.instances import SqlInstances
from servicevm_scheduler.adapters.orm import bindings, devices, service_types, templates
from servicevm_scheduler.adapters.pools import SqlPools
from servicevm_scheduler.adapters.slots import SqlSlots
from servicevm_scheduler.adapters.templates import SqlTemplates
from servicevm_scheduler.bootstrap import DEFINITION
from servicevm_scheduler.domain import choice
from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Device, Remembered
from shared.config import Settings
from shared.contracts.models import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from tests.support.db import in_rolled_back_transaction

S = DeviceStatus
CAPACITY = 4


def _random_devices(template_id: uuid.UUID, count: int) -> list[Device]:
    rng = random.Random(8)
    return [
        Device(
            id=uuid.uuid4(),
            tenant_id="owner",
            template_id=template_id,
            status=rng.choice([S.ACTIVE, S.ACTIVE, S.ACTIVE, S.PENDING_CREATE, S.ERROR]),
            slot_capacity=CAPACITY,
            slots_used=rng.randint(0, CAPACITY),
            host=rng.choice([None, "h1", "h2", "h3"]),
            bound_tenant=rng.choice([None, None, "p", "q"]),
        )
        for _ in range(count)
    ]


def _picks(template_id: uuid.UUID, known: list[Device]) -> list[Pick]:
    picks: list[Pick] = []
    for placement in ("pack", "spread"):
        for tenant_bound in (False, True):
            policy = TemplatePolicy(
                slot_capacity=CAPACITY, placement=placement, tenant_bound=tenant_bound
            )
            for slots in (1, 2, 3):
                base = Pick(template_id=template_id, slots=slots, tenant_id="p", policy=policy)
                picks += [
                    base,
                    Pick(**{**base.__dict__, "exclude_hosts": []}),
                    Pick(**{**base.__dict__, "exclude_hosts": ["h1", "h2"]}),
                    Pick(**{**base.__dict__, "exclude_devices": [d.id for d in known[:10]]}),
                ]
    return picks


def test_sql_pick_follows_the_domain_rule(database: Settings) -> None:
    template_id = uuid.uuid4()
    known = _random_devices(template_id, 40)
    other_template = _random_devices(uuid.uuid4(), 5)

    async def body(conn: AsyncConnection) -> None:
        rows = [{**d.__dict__, "revision": 1} for d in (*known, *other_template)]
        await conn.execute(insert(devices), rows)
        slots = SqlSlots(conn)
        for pick in _picks(template_id, known):
            expected = choice.best(known, pick)
            found = await slots.pick(pick)
            assert found == expected, pick

    in_rolled_back_transaction(DEFINITION, database, body)


def test_slots_are_never_overbooked(database: Settings) -> None:
    """The placement's statements take slots only while a device has them; the table's
    check constraint refuses any overbooking should their condition ever be wrong."""
    template_id = uuid.uuid4()
    (device,) = _random_devices(template_id, 1)
    policy = TemplatePolicy(slot_capacity=CAPACITY)

    async def body(conn: AsyncConnection) -> None:
        row = {**device.__dict__, "status": S.ACTIVE, "slots_used": 3, "bound_tenant": None}
        await conn.execute(insert(devices), [{**row, "revision": 1}])
        slots, seen = SqlSlots(conn), await _remembered(conn, template_id, {})
        first = await _instance(conn)
        two = Pick(template_id=template_id, slots=2, tenant_id="p", policy=policy)
        assert await slots.add_and_take(new_instance(), two, bind_tenant=None, seen=seen) is None
        assert (
            await slots.pick_and_take(two, bind_tenant=None, instance_id=first, position=0) is None
        )
        taken = await slots.take(
            device_id=device.id, slots=1, bind_tenant="p", instance_id=first, position=0
        )
        assert taken is not None and (taken[0].slots_used, taken[0].bound_tenant) == (4, "p")
        one = replace(two, slots=1)
        assert await slots.add_and_take(new_instance(), one, bind_tenant=None, seen=seen) is None
        freed = await slots.release(device_id=device.id, slots=4)
        assert freed is not None and (freed.slots_used, freed.bound_tenant) == (0, None)
        # The last guard, should the conditional UPDATE ever be wrong: the check constraint.
        with pytest.raises(IntegrityError, match="slots_within_capacity"):
            await conn.execute(
                update(devices).where(devices.c.id == device.id).values(slots_used=CAPACITY + 1)
            )

    in_rolled_back_transaction(DEFINITION, database, body)


def new_instance() -> ServiceInstance:
    return ServiceInstance(
        id=uuid.uuid4(),
        tenant_id="p",
        name="",
        service_type_id=uuid.uuid4(),
        service_table_id=None,
        mgmt_driver=None,
        mgmt_address=None,
        service_contexts=[],
        kwargs={},
        managed_by_user=False,
    )


async def _remembered(
    conn: AsyncConnection, template_id: uuid.UUID, attributes: dict[str, str]
) -> Remembered:
    """A template offering "firewall", as ``of_service_type`` reads and remembers it."""
    service_type_id = uuid.uuid4()
    await conn.execute(
        insert(templates).values(
            id=template_id,
            tenant_id="owner",
            service_types=[],
            attributes=attributes,
            slot_capacity=CAPACITY,
        )
    )
    await conn.execute(
        insert(service_types).values(
            id=service_type_id, template_id=template_id, service_type="firewall"
        )
    )
    repo = SqlTemplates(conn)
    assert await repo.of_service_type(service_type_id=service_type_id) is not None
    seen = repo.remembered(service_type_id=service_type_id)
    assert seen is not None and seen.attributes == attributes
    return seen


async def _instance(conn: AsyncConnection) -> uuid.UUID:
    """An instance stored as ``instances.add`` stores it."""
    instance = new_instance()
    assert await SqlInstances(conn).add(instance=instance)
    return instance.id


def test_add_and_take_stores_a_new_instance_on_the_domain_rule_choice(database: Settings) -> None:
    """A new instance's one statement: the device ``domain.choice`` picks, its slots taken,
    the instance stored as ``instances.add`` would store it and bound there; nothing at all
    for an instance that exists already (a redelivered command) or when the template is no
    longer as remembered."""
    template_id = uuid.uuid4()
    known = _random_devices(template_id, 20)
    policy = TemplatePolicy(slot_capacity=CAPACITY, placement="spread")

    async def body(conn: AsyncConnection) -> None:
        await conn.execute(insert(devices), [{**d.__dict__, "revision": 1} for d in known])
        slots, instances = SqlSlots(conn), SqlInstances(conn)
        seen = await _remembered(conn, template_id, {"placement": "spread"})
        pick = Pick(template_id=template_id, slots=1, tenant_id="p", policy=policy)
        expected = choice.best(known, pick)
        assert expected is not None
        instance = new_instance().model_copy(update={"kwargs": {"k": [1]}, "name": "n"})
        stale = replace(seen, attributes={"placement": "pack"})
        assert await slots.add_and_take(instance, pick, bind_tenant="p", seen=stale) is None
        assert await instances.get(instance_id=instance.id) is None
        taken = await slots.add_and_take(instance, pick, bind_tenant="p", seen=seen)
        assert taken is not None
        device, hosted = taken
        assert (device.id, device.slots_used, device.bound_tenant) == (
            expected.id,
            expected.slots_used + 1,
            "p",
        )
        assert instance.id in hosted
        stored = await instances.get(instance_id=instance.id)
        assert stored == instance.model_copy(update={"devices": [device.id]})
        assert await slots.add_and_take(instance, pick, bind_tenant="p", seen=seen) is None
        assert await instances.add(instance=instance) is False

    in_rolled_back_transaction(DEFINITION, database, body)


def test_pick_and_take_reserves_the_domain_rule_choice(database: Settings) -> None:
    """The placement's one statement picks what ``domain.choice`` picks, takes its slots,
    binds the instance and names every instance the device hosts; with no room it takes
    nothing, and ``take`` refuses slots a device no longer has."""
    template_id = uuid.uuid4()
    known = _random_devices(template_id, 20)
    policy = TemplatePolicy(slot_capacity=CAPACITY, placement="pack")

    async def body(conn: AsyncConnection) -> None:
        await conn.execute(insert(devices), [{**d.__dict__, "revision": 1} for d in known])
        slots = SqlSlots(conn)
        pick = Pick(template_id=template_id, slots=1, tenant_id="p", policy=policy)
        expected = choice.best(known, pick)
        assert expected is not None
        first, second = await _instance(conn), await _instance(conn)
        taken = await slots.pick_and_take(pick, bind_tenant=None, instance_id=first, position=0)
        assert taken is not None
        device, hosted = taken
        assert (device.id, device.slots_used) == (expected.id, expected.slots_used + 1)
        assert hosted == [first]
        again = await slots.take(
            device_id=device.id, slots=1, bind_tenant=None, instance_id=second, position=0
        )
        if device.free_slots >= 1:
            assert again is not None and again[1] == sorted([first, second])
        else:  # pack took the fullest device with room: its last slot
            assert again is None
        too_big = Pick(template_id=template_id, slots=CAPACITY + 1, tenant_id="p", policy=policy)
        assert (
            await slots.pick_and_take(too_big, bind_tenant=None, instance_id=second, position=1)
            is None
        )
        full = await slots.take(
            device_id=device.id, slots=CAPACITY, bind_tenant=None, instance_id=second, position=1
        )
        assert full is None
        bound = await conn.execute(
            select(bindings.c.device_id).where(bindings.c.service_instance_id == second)
        )
        assert list(bound.scalars()) == ([device.id] if again is not None else [])

    in_rolled_back_transaction(DEFINITION, database, body)


def test_has_free_slots_agrees_with_the_pool_state(database: Settings) -> None:
    """The bounded look (a few of the emptiest devices) says what the whole pool's reading
    says, for every count of slots around what the pool has free."""
    template_id = uuid.uuid4()
    known = _random_devices(template_id, 30)
    other_template = _random_devices(uuid.uuid4(), 5)

    async def body(conn: AsyncConnection) -> None:
        rows = [{**d.__dict__, "revision": 1} for d in (*known, *other_template)]
        await conn.execute(insert(devices), rows)
        pools = SqlPools(conn)
        free = (await pools.state(template_id=template_id, waiting_slots=0)).free_slots
        assert free > 2
        for slots in (1, 2, free - 1, free, free + 1):
            has = await pools.has_free_slots(template_id=template_id, slots=slots)
            assert has == (free >= slots), slots

    in_rolled_back_transaction(DEFINITION, database, body)
