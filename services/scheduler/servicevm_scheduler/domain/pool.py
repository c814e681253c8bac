"""How many devices a template's pool needs, and which idle ones it can give back. Pure."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from shared.contracts.template_policy import TemplatePolicy


@dataclass(frozen=True)
class PoolState:
    """One template's devices as the scheduler sees them."""

    active_devices: int
    pending_devices: int
    # Free slots on ACTIVE devices.
    free_slots: int
    # Slots wanted by instances waiting for room (HA instances count twice).
    waiting_slots: int
    # Devices in ERROR or DEAD: they still count against max_devices until deleted, so a
    # template whose devices keep failing cannot make the pool create devices forever.
    failed_devices: int = 0

    @property
    def devices(self) -> int:
        return self.active_devices + self.pending_devices + self.failed_devices


def room_to_grow(policy: TemplatePolicy, state: PoolState) -> int:
    """Devices the scheduler may still create for this template."""
    if policy.max_devices is None:
        return 0
    return max(0, policy.max_devices - state.devices)


def can_wait_for(policy: TemplatePolicy, state: PoolState, slots: int) -> bool:
    """Whether ``slots`` more waiting slots can be served by devices being created or that
    the pool may still create, after the instances already waiting (first come, first served)."""
    coming = (state.pending_devices + room_to_grow(policy, state)) * policy.slot_capacity
    return state.waiting_slots + slots <= coming


def may_need_devices(policy: TemplatePolicy, waiting_slots: int) -> bool:
    """False when ``devices_to_create`` is 0 whatever the pool holds: no instance waits and
    the template wants no free slots (so a placement need not read the pool to know it)."""
    return waiting_slots + policy.desired_slots_free > 0


def devices_to_create(policy: TemplatePolicy, state: PoolState) -> int:
    """New devices needed for the waiting instances plus the desired free slots."""
    pending_slots = state.pending_devices * policy.slot_capacity
    shortfall = state.waiting_slots + policy.desired_slots_free - state.free_slots - pending_slots
    if shortfall <= 0:
        return 0
    return min(room_to_grow(policy, state), math.ceil(shortfall / policy.slot_capacity))


def devices_to_release(
    policy: TemplatePolicy, state: PoolState, idle: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Idle devices (oldest first) that can go while the desired free slots remain."""
    if state.waiting_slots > 0:
        return []
    released: list[uuid.UUID] = []
    free = state.free_slots
    for device_id in idle:
        if free - policy.slot_capacity < policy.desired_slots_free:
            break
        free -= policy.slot_capacity
        released.append(device_id)
    return released
