"""Placing service instances onto device slots, inside the caller's unit of work.

A placement first tries the fast path: the best device no other placement is holding,
locked with SKIP LOCKED, so concurrent placements take different devices and commit side
by side. Only when that finds no room does it take the template's advisory lock
(``templates.lock``) and look again, waiting for the devices others hold: "no room",
"wait for the pool" and "grow the pool" are decided under that lock, on a state no one
else is deciding on. A device row is always locked before its slots are counted, and the
table's check constraint is the last guard: no device is ever overbooked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from servicevm_scheduler.domain import choice, pool
from servicevm_scheduler.domain.choice import Choice
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.domain.projection import Template
from servicevm_scheduler.service_layer.announce import (
    announce,
    announce_active,
    fail,
    publish_placed,
    save_and_announce,
)
from servicevm_scheduler.service_layer.choosing import (
    add_on_best,
    best_devices,
    bind,
    requested_devices,
    take_best,
)
from servicevm_scheduler.service_layer.pools import grow
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts.statuses import ServiceInstanceStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    instance: ServiceInstance
    # Slots the instance now waits for (0 when placed or failed).
    waiting_slots: int = 0
    # The template whose devices it waits for, when it waits for room.
    waits_for: uuid.UUID | None = None


async def place_new(s: Scheduling, instance: ServiceInstance) -> Outcome | None:
    """A new instance (a create command): stored, then placed, waiting or failed as
    ``place_or_wait`` decides; None when it exists already (a redelivered command).

    The common case, one device with room, is one statement: the instance is stored bound to
    the device it reserved, and announced once, as placed. It picks by the template as this
    process remembers it, which the statement checks; only when that fails is the template
    read."""
    seen = s.templates.remembered(service_type_id=instance.service_type_id)
    fast = seen is not None and _one_device(instance, seen.template, seen.service_type)
    if seen is not None and fast:
        need = seen.template.policy.slots_for(seen.service_type)
        through_mgmt = choice.through_mgmt(instance, seen.template)
        active_as = None if through_mgmt else seen.service_type
        placed = await add_on_best(s, instance, seen, need, active_as=active_as)
        if placed is not None:
            return await _announce_placed(s, placed, seen.template, seen.service_type)
    found = await _service_type(s, instance)
    if not await s.instances.add(instance=instance):
        return None
    await announce(s, instance)
    # The pick above was the fast path's if it picked by the template as it is.
    tried = fast and seen is not None and found == (seen.template, seen.service_type)
    return await _place_or_wait(s, instance, found, None, fast_path_tried=tried)


def _one_device(instance: ServiceInstance, template: Template, service_type: str) -> bool:
    """Placed by the fast path: one device chosen by the policy, with room for it."""
    requested, too_big = instance.requested_devices, choice.oversized(template, service_type)
    return not requested and not instance.ha and too_big is None


async def place_or_wait(
    s: Scheduling, instance: ServiceInstance, *, waiting_before: int | None = None
) -> Outcome:
    """Place a PENDING_CREATE instance now, or let it wait for a device the pool is growing,
    or fail it with the reason. ``waiting_before``: slots already waited for by older
    instances of its template (first come, first served); None counts them all."""
    found = await _service_type(s, instance)
    return await _place_or_wait(s, instance, found, waiting_before, fast_path_tried=False)


async def _place_or_wait(
    s: Scheduling,
    instance: ServiceInstance,
    found: tuple[Template, str] | None,
    waiting_before: int | None,
    *,
    fast_path_tried: bool,
) -> Outcome:
    if found is None:
        # Its template's event has not reached the scheduler yet: wait for it.
        await s.instances.save(instance=instance, waiting=True)
        return Outcome(instance, waiting_slots=0)
    template, service_type = found
    too_big = choice.oversized(template, service_type)
    if too_big is not None:
        return Outcome(await fail(s, instance, too_big))
    need = template.policy.slots_for(service_type)
    # ACTIVE where it is placed when mgmt has nothing to configure (see ``_placed``).
    active_as = None if choice.through_mgmt(instance, template) else service_type
    seen: pool.PoolState | None = None
    if instance.requested_devices:
        chosen = await requested_devices(s, instance, service_type)
        if chosen.wait:
            return await _wait_for_requested(s, instance, template, chosen.refusal)
    else:
        fast = not instance.ha and not fast_path_tried  # one device: choose and reserve at once
        placed = (
            await take_best(s, instance, template.id, template.policy, need, active_as=active_as)
            if fast
            else None
        )
        if placed is not None:
            return await _announce_placed(s, placed, template, service_type)
        chosen, seen = await _choose(s, instance, template, need, fast_path_tried=not instance.ha)
    if chosen.refusal is None:
        placed = await bind(s, instance, chosen, active_as=active_as)
        return await _announce_placed(s, placed, template, service_type)
    if instance.requested_devices or seen is None:
        return Outcome(await fail(s, instance, chosen.refusal))
    return await _wait_or_fail(s, instance, template, need, chosen.refusal, seen, waiting_before)


async def _announce_placed(
    s: Scheduling, placed: ServiceInstance, template: Template, service_type: str
) -> Outcome:
    """mgmt configures a placed instance; one made ACTIVE at once has had its placement
    announced with that change (``announce_active``)."""
    if placed.status != ServiceInstanceStatus.ACTIVE:
        await publish_placed(s, placed, service_type, "create")
    await grow(s, template, waiting_slots=0)
    return Outcome(placed)


async def _service_type(s: Scheduling, instance: ServiceInstance) -> tuple[Template, str] | None:
    """The template that offers the instance's service type, and the type's name."""
    found = await s.templates.of_service_type(service_type_id=instance.service_type_id)
    if found is None:
        # Serialized with the template's arrival (which takes this lock before the
        # template's): either its rows are visible after the lock, or this wait is
        # committed before it looks for waiting instances.
        await s.templates.lock_service_type(service_type_id=instance.service_type_id)
        found = await s.templates.of_service_type(service_type_id=instance.service_type_id)
    return found


async def _choose(
    s: Scheduling,
    instance: ServiceInstance,
    template: Template,
    need: int,
    *,
    fast_path_tried: bool,
) -> tuple[Choice, pool.PoolState | None]:
    """The fast path first (SKIP LOCKED, no template lock) unless ``take_best`` just tried
    it; only when it finds no room, the template's lock and a second look (with the pool
    reading that decides)."""
    if not fast_path_tried:
        chosen = await best_devices(
            s, instance, template.id, template.policy, need, exclude=[], skip_locked=True
        )
        if chosen.refusal is None:
            return chosen, None
    await s.templates.lock(template_id=template.id)
    return await _look_again(s, instance, template, need)


async def _look_again(
    s: Scheduling, instance: ServiceInstance, template: Template, need: int
) -> tuple[Choice, pool.PoolState]:
    """Under the template's lock, wait for the devices others hold and look again. A device
    can turn ACTIVE between two statements (its projection does not take this lock), so the
    pool is read after each failed pick: free slots there mean pick once more; otherwise
    that reading, in which any device not yet ACTIVE still counts as coming, decides."""
    retried = False
    while True:
        chosen = await best_devices(s, instance, template.id, template.policy, need, exclude=[])
        state = await s.pools.state(template_id=template.id, waiting_slots=0)
        if chosen.refusal is None or state.free_slots < need or retried:
            return chosen, state
        retried = True


async def _wait_or_fail(
    s: Scheduling,
    instance: ServiceInstance,
    template: Template,
    need: int,
    refusal: str,
    seen: pool.PoolState,
    waiting_before: int | None,
) -> Outcome:
    """``seen``: the pool as the last failed pick left it (the one reading that decides)."""
    policy = template.policy
    if waiting_before is None:
        waiting_before = await s.waiting.slots(
            template_id=template.id, policy=policy, excluding=instance.id
        )
    state = replace(seen, waiting_slots=waiting_before)
    wanted = need * instance.bindings_wanted
    if not pool.can_wait_for(policy, state, wanted):
        return Outcome(await fail(s, instance, choice.no_room(refusal, template, state)))
    await s.instances.save(instance=instance, waiting=True)
    await grow(s, template, waiting_slots=waiting_before + wanted)
    log.info("service instance waits for room", extra={"service_instance_id": str(instance.id)})
    return Outcome(instance, waiting_slots=wanted, waits_for=template.id)


async def _wait_for_requested(
    s: Scheduling, instance: ServiceInstance, template: Template, why: str | None
) -> Outcome:
    """A device the client named is still being created: wait for it with the template's
    waiting instances (tried again when a device of the template becomes ACTIVE or ERROR,
    failed when the device is deleted or the wait grows stale). It waits for no pool slots."""
    await s.instances.save(instance=instance, waiting=True)
    log.info(
        "service instance waits for a requested device",
        extra={"service_instance_id": str(instance.id), "reason": why},
    )
    return Outcome(instance, waiting_slots=0, waits_for=template.id)


async def place_waiting(s: Scheduling, *, template_id: uuid.UUID) -> None:
    """Room may have appeared (a device became ACTIVE, slots were freed, the template
    arrived): try the waiting instances of the template, oldest first."""
    template = await s.templates.get(template_id=template_id)
    if template is None:
        return
    await s.templates.lock(template_id=template_id)
    waited = 0
    for instance_id in await s.waiting.of_template(template_id=template_id):
        instance = await s.instances.get(instance_id=instance_id, for_update=True)
        if instance is None or instance.status != ServiceInstanceStatus.PENDING_CREATE:
            continue
        outcome = await place_or_wait(s, instance, waiting_before=waited)
        waited += outcome.waiting_slots


async def begin_update(
    s: Scheduling, instance: ServiceInstance, *, name: str, kwargs: dict[str, Any]
) -> None:
    """PENDING_UPDATE with the new name and kwargs; mgmt configures them on its devices
    (``service_instance.placed``, operation update), then it is ACTIVE again. Where its
    management driver configures nothing (``choice.through_mgmt``), it is ACTIVE at
    once, announced as ``announce_active`` announces a create."""
    updating = instance.transition(ServiceInstanceStatus.PENDING_UPDATE, name=name, kwargs=kwargs)
    found = await template_of(s, instance)
    template, service_type = found if found is not None else (None, "")
    if choice.through_mgmt(updating, template):
        await save_and_announce(s, updating)
        await publish_placed(s, updating, service_type, "update")
        return
    active = updating.transition(ServiceInstanceStatus.ACTIVE)
    await s.instances.save(instance=active)
    await announce_active(s, active, service_type, updating, operation="update")


async def template_of(s: Scheduling, instance: ServiceInstance) -> tuple[Template, str] | None:
    """The template offering the instance's service type, and the type's name: as this
    process remembers it when it does (what a template's driver and attributes say never
    changes), else read."""
    seen = s.templates.remembered(service_type_id=instance.service_type_id)
    if seen is not None:
        return seen.template, seen.service_type
    return await s.templates.of_service_type(service_type_id=instance.service_type_id)
