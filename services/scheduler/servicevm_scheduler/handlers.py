"""One handler per message the scheduler consumes, registered in HANDLERS.

The scheduler owns service instances and their bindings, and keeps its own projection of
templates and devices (with their slots) from lifecycle's events. Each handler is one
transaction that records the message as processed, so a redelivery changes nothing.
"""

from __future__ import annotations

import functools
import logging
import uuid

from servicevm_scheduler.adapters.scheduling import scheduling
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.service_layer.announce import (
    fail,
    save_and_announce,
)
from servicevm_scheduler.service_layer.anti_affinity import keep_ha_apart
from servicevm_scheduler.service_layer.endings import (
    begin_delete,
    device_dead,
    device_lost,
    finish_delete,
    requested_device_gone,
)
from servicevm_scheduler.service_layer.placing import begin_update, place_new, place_waiting
from servicevm_scheduler.service_layer.pools import grow
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.contracts import commands, events
from shared.contracts.models import DeviceSnapshot
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable, ServiceStore

log = logging.getLogger(__name__)


# --- the projection of templates and devices ---------------------------------------------


async def template_saved(
    event: events.DeviceTemplateCreated | events.DeviceTemplateUpdated, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        for ref in sorted(event.template.service_types, key=lambda ref: str(ref.id)):
            await s.templates.lock_service_type(service_type_id=ref.id)
        await s.templates.upsert(template=event.template)
        # Instances that named one of its service types before it arrived can go now.
        await place_waiting(s, template_id=event.template.id)
        await uow.commit()


@one_transaction()
async def template_deleted(event: events.DeviceTemplateDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        await s.templates.delete(template_id=event.template.id)
        await uow.commit()


# A device turning to one of these may let waiting instances go: it has room (ACTIVE), or a
# pool device failed or a device an instance named will not come (ERROR).
_WAKES_WAITING = (DeviceStatus.ACTIVE, DeviceStatus.ERROR)


@one_transaction()
async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    """Project the device; if it became ACTIVE or ERROR, look for the instances waiting for
    its template or naming it once the projection has committed (``look_for_waiting``)."""
    device = event.device
    async with ctx.transaction(final=True) as uow:
        previous = await scheduling(uow).devices.apply(device=device, first=event.first)
        await uow.commit()
    if previous is None or previous == device.status or device.status not in _WAKES_WAITING:
        return
    back_from_respawn = (
        previous == DeviceStatus.PENDING_UPDATE and device.status == DeviceStatus.ACTIVE
    )
    ctx.after_commit(
        functools.partial(
            look_for_waiting,
            ctx.store,
            ctx.envelope.correlation_id,
            device,
            back_from_respawn=back_from_respawn,
        )
    )


async def look_for_waiting(
    store: ServiceStore,
    correlation_id: str,
    device: DeviceSnapshot,
    *,
    back_from_respawn: bool,
) -> None:
    """Try the instances a device turning ACTIVE or ERROR may let go, after the commit of
    its projection, without the template's lock (most device events concern no waiting
    instance, and taking the lock would serialize them all).

    Why after that commit: an instance deciding to wait at that very moment looks for room
    again once its decision is committed (see create_service_instance); this look starts
    after the device's commit, so one of the two sees the other's commit. Its first
    statement (``woken_by``) runs on its own, without BEGIN: it still starts after that
    commit, and when nothing waits (the common case) it is the whole look. A crash or a
    failure before it finished loses the look; the pool keeper's next round tries every
    waiting instance."""
    async with store.unit_of_work(correlation_id) as uow:
        s = scheduling(uow)
        if back_from_respawn:
            # Back from a respawn, maybe on another host: HA members stay apart.
            await keep_ha_apart(s, device.id)
        woken = await s.waiting.woken_by(template_id=device.template_id, device_id=device.id)
        for template_id in woken:
            await place_waiting(s, template_id=template_id)
        await uow.commit()  # nothing to send if only woken_by ran, on its own


async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        await requested_device_gone(s, event.device.id)
        device = await s.devices.get(device_id=event.device.id, for_update=True)
        if device is not None:
            hosted = await s.bindings.services_on(device_id=device.id)
            await s.devices.remove(device_id=device.id)
            template = await s.templates.get(template_id=device.template_id)
            for instance_id in hosted:
                await device_lost(s, instance_id, device, template)
            if template is not None:
                await grow(s, template, waiting_slots=0)
        await uow.commit()


async def dead_device_lost(event: events.DeviceLost, ctx: HandlerContext) -> None:
    """A DEAD device lifecycle will not replace (or one ERROR after a failed respawn): its
    service instances move to other devices when their template says
    ``reschedule_on_device_loss``; otherwise they stay (the device may recover by itself)."""
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        await s.devices.apply(device=event.device)  # its snapshot may not be here yet
        device = await s.devices.get(device_id=event.device.id, for_update=True)
        template = None if device is None else await s.templates.get(template_id=device.template_id)
        if (
            device is not None
            # DEAD, or ERROR after a failed respawn; not recovered or deleted meanwhile
            and device.status in (DeviceStatus.DEAD, DeviceStatus.ERROR)
            and template is not None
            and template.policy.reschedule_on_device_loss
        ):
            for instance_id in await s.bindings.services_on(device_id=device.id):
                await device_dead(s, instance_id, device, template)
        await uow.commit()


# --- service instances -------------------------------------------------------------------


def new_instance(cmd: commands.CreateServiceInstance) -> ServiceInstance:
    """The instance a create command asks for: PENDING_CREATE, revision 1, on no device yet
    (the command's ``devices`` are those the client asked for)."""
    asked = ServiceInstance.model_validate(cmd, from_attributes=True)
    return asked.model_copy(update={"requested_devices": cmd.devices, "devices": []})


@one_transaction()
async def create_service_instance(cmd: commands.CreateServiceInstance, ctx: HandlerContext) -> None:
    """Place the new instance, or let it wait for room. Creates that arrive together share
    a transaction (batching.py): a placement is a statement or two, so BEGIN, the inbox
    rows, the outbox rows and COMMIT are most of its cost when each pays for its own."""
    instance = new_instance(cmd)
    async with ctx.transaction(final=True) as uow:
        outcome = await place_new(scheduling(uow), instance)
        await uow.commit()
    if outcome is not None and outcome.waits_for is not None:
        ctx.after_commit(
            functools.partial(look_again, ctx.store, ctx.envelope.correlation_id, outcome.waits_for)
        )


async def look_again(store: ServiceStore, correlation_id: str, template_id: uuid.UUID) -> None:
    """After an instance's decision to wait committed: a device that became ACTIVE at that
    very moment may have looked for waiting instances before it could see this one
    (``look_for_waiting``), so look for room once more. Lost with a crash, like that look:
    the pool keeper's next round tries every waiting instance."""
    async with store.unit_of_work(correlation_id) as uow:
        await place_waiting(scheduling(uow), template_id=template_id)
        await uow.commit()


async def update_service_instance(cmd: commands.UpdateServiceInstance, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        instance = await s.instances.get(instance_id=cmd.id, for_update=True)
        if instance is None or not instance.can(ServiceInstanceStatus.PENDING_UPDATE):
            await _refuse(s, instance, ServiceInstanceStatus.PENDING_UPDATE)
        else:
            await begin_update(s, instance, name=cmd.name, kwargs=cmd.kwargs)
        await uow.commit()


async def delete_service_instance(cmd: commands.DeleteServiceInstance, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        instance = await s.instances.get(instance_id=cmd.id, for_update=True)
        if instance is None or not instance.can(ServiceInstanceStatus.PENDING_DELETE):
            await _refuse(s, instance, ServiceInstanceStatus.PENDING_DELETE)
        else:
            await begin_delete(s, instance)
        await uow.commit()


async def service_instance_configured(
    event: events.ServiceInstanceConfigured, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        instance = await s.instances.get(instance_id=event.instance_id, for_update=True)
        if instance is not None and instance.status in (
            ServiceInstanceStatus.PENDING_CREATE,
            ServiceInstanceStatus.PENDING_UPDATE,
        ):
            if event.succeeded:
                await save_and_announce(s, instance.transition(ServiceInstanceStatus.ACTIVE))
            else:
                await fail(s, instance, f"configuration failed: {event.reason}")
        await uow.commit()


async def service_instance_unconfigured(
    event: events.ServiceInstanceUnconfigured, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        s = scheduling(uow)
        instance = await s.instances.get(instance_id=event.instance_id, for_update=True)
        if instance is not None and instance.status == ServiceInstanceStatus.PENDING_DELETE:
            if event.succeeded:
                await finish_delete(s, instance)
            else:
                await fail(s, instance, f"delete failed: {event.reason}")
        await uow.commit()


async def _refuse(s: Scheduling, instance: ServiceInstance | None, wanted: str) -> None:
    """A command that no longer fits: re-announce the real state, with the refusal as its
    reason, so the api converges and the client sees what became of its request."""
    log.warning(
        "refusing a service instance command that does not fit its state",
        extra={"wanted": wanted, "status": instance.status if instance else None},
    )
    if instance is not None:
        # The client got 2xx for it: the refusal and why are shown on the instance.
        verb = "update" if wanted == ServiceInstanceStatus.PENDING_UPDATE else "delete"
        reason = f"{verb} refused: the service instance was {instance.status} when it arrived"
        if instance.error_reason and " refused: " not in instance.error_reason:
            reason += f"; {instance.error_reason}"
        await save_and_announce(s, instance.changed(error_reason=reason))


HANDLERS: HandlerTable = {
    events.DeviceTemplateCreated: template_saved,
    events.DeviceTemplateUpdated: template_saved,
    events.DeviceTemplateDeleted: template_deleted,
    events.DeviceStatusChanged: device_status_changed,
    events.DeviceDeleted: device_deleted,
    events.DeviceLost: dead_device_lost,
    commands.CreateServiceInstance: create_service_instance,
    commands.UpdateServiceInstance: update_service_instance,
    commands.DeleteServiceInstance: delete_service_instance,
    events.ServiceInstanceConfigured: service_instance_configured,
    events.ServiceInstanceUnconfigured: service_instance_unconfigured,
}
