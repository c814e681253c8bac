"""Pool sizing: when an instance may wait, how many devices to create, which to release."""

from __future__ import annotations

import uuid
from dataclasses import replace

from servicevm_scheduler.domain import pool
from shared.contracts.template_policy import TemplatePolicy

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


def test_a_pool_may_need_devices_only_for_waiting_or_desired_free_slots() -> None:
    """When it says no, no pool state makes ``devices_to_create`` ask for one."""
    desired = TemplatePolicy(slot_capacity=10, max_devices=12, desired_slots_free=1)
    assert not pool.may_need_devices(POOL, 0)
    assert pool.may_need_devices(POOL, 1)
    assert pool.may_need_devices(desired, 0)
    empty = pool.PoolState(active_devices=0, pending_devices=0, free_slots=0, waiting_slots=0)
    assert pool.devices_to_create(POOL, empty) == 0
    assert pool.devices_to_create(desired, empty) == 1
