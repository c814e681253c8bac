"""One handler per message the scheduler consumes, registered in HANDLERS.

The scheduler owns service instances and their bindings, and keeps its own projection of
templates and devices (with their slots) from lifecycle's events. Each handler is one
transaction that records the message as processed, so a redelivery changes nothing.
"""

from __future__ import annotations

import logging
import uuid

from servicevm_scheduler import placement
from servicevm_scheduler.adapters import repository as repo
from servicevm_scheduler.domain.model import ServiceInstance
from shared.contracts import commands, events
from shared.contracts.models import DeviceStatus
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import HandlerContext, HandlerTable

S = DeviceStatus
log = logging.getLogger(__name__)


# --- the projection of templates and devices ---------------------------------------------


async def template_saved(
    event: events.DeviceTemplateCreated | events.DeviceTemplateUpdated, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        for ref in sorted(event.template.service_types, key=lambda ref: str(ref.id)):
            await repo.lock_service_type(uow.conn, service_type_id=ref.id)
        await repo.upsert_template(uow.conn, template=event.template)
        # Instances that named one of its service types before it arrived can go now.
        await placement.place_waiting(uow, template_id=event.template.id)
        await uow.commit()


async def template_deleted(event: events.DeviceTemplateDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.delete_template(uow.conn, template_id=event.template.id)
        await uow.commit()


async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    """Project the device; if it became ACTIVE (room) or ERROR (a pool device failed) and
    instances wait for its template, try them.

    The projection commits first and the waiting are looked for afterwards, without the
    template's lock (most device events concern no waiting instance, and taking the lock
    would serialize them all). An instance deciding to wait at that very moment looks for
    room again once its decision is committed (see create_service_instance): one of the two
    sees the other's commit."""
    device = event.device
    async with ctx.transaction() as uow:
        previous = await repo.apply_device(uow.conn, device=device)
        await uow.commit()
    became = previous is not None and previous != device.status
    async with ctx.transaction(final=True) as uow:
        if (
            became
            and device.status in (S.ACTIVE, S.ERROR)
            and await repo.has_waiting(uow.conn, template_id=device.template_id)
        ):
            await placement.place_waiting(uow, template_id=device.template_id)
        await uow.commit()


async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        device = await repo.get_device(uow.conn, device_id=event.device.id, for_update=True)
        if device is not None:
            hosted = await repo.device_services(uow.conn, device_id=device.id)
            await repo.remove_device(uow.conn, device_id=device.id)
            template = await repo.get_template(uow.conn, template_id=device.template_id)
            for instance_id in hosted:
                await placement.device_lost(uow, instance_id, device, template)
            if template is not None:
                await placement.grow(uow, template, waiting_slots=0)
        await uow.commit()


# --- service instances -------------------------------------------------------------------


async def create_service_instance(cmd: commands.CreateServiceInstance, ctx: HandlerContext) -> None:
    instance = ServiceInstance(
        id=cmd.id,
        tenant_id=cmd.tenant_id,
        name=cmd.name,
        service_type_id=cmd.service_type_id,
        service_table_id=cmd.service_table_id,
        mgmt_driver=cmd.mgmt_driver,
        mgmt_address=cmd.mgmt_address,
        service_contexts=cmd.service_contexts,
        requested_devices=cmd.devices,
        kwargs=cmd.kwargs,
        managed_by_user=cmd.managed_by_user,
    )
    waits_for: uuid.UUID | None = None
    async with ctx.transaction(final=True) as uow:
        if await repo.add_instance(uow.conn, instance=instance):
            await placement.announce(uow, instance)
            waits_for = (await placement.place_or_wait(uow, instance)).waits_for
        await uow.commit()
    if waits_for is not None:
        # A device that became ACTIVE while this decided to wait may have looked for waiting
        # instances before this one was committed: look for room once more.
        async with ctx.transaction() as uow:
            await placement.place_waiting(uow, template_id=waits_for)
            await uow.commit()


async def update_service_instance(cmd: commands.UpdateServiceInstance, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        instance = await repo.get_instance(uow.conn, instance_id=cmd.id, for_update=True)
        if instance is None or not instance.can(S.PENDING_UPDATE):
            await _refuse(uow, instance, S.PENDING_UPDATE)
        else:
            updating = instance.transition(S.PENDING_UPDATE, name=cmd.name, kwargs=cmd.kwargs)
            await placement.save_and_announce(uow, updating)
            found = await repo.service_type(uow.conn, service_type_id=instance.service_type_id)
            service_type = found[1] if found is not None else ""
            await placement.publish_placed(uow, updating, service_type, "update")
        await uow.commit()


async def delete_service_instance(cmd: commands.DeleteServiceInstance, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        instance = await repo.get_instance(uow.conn, instance_id=cmd.id, for_update=True)
        if instance is None or not instance.can(S.PENDING_DELETE):
            await _refuse(uow, instance, S.PENDING_DELETE)
        else:
            deleting = instance.transition(S.PENDING_DELETE)
            if deleting.devices:
                await placement.save_and_announce(uow, deleting)
                releasing = events.ServiceInstanceReleasing(
                    instance_id=deleting.id,
                    tenant_id=deleting.tenant_id,
                    mgmt_driver=deleting.mgmt_driver,
                    devices=deleting.devices,
                )
                await uow.publish(releasing, tenant_id=deleting.tenant_id)
            else:
                # Never placed: nothing to remove from any device.
                await placement.announce(uow, deleting)
                await placement.finish_delete(uow, deleting)
        await uow.commit()


async def service_instance_configured(
    event: events.ServiceInstanceConfigured, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        instance = await repo.get_instance(uow.conn, instance_id=event.instance_id, for_update=True)
        if instance is not None and instance.status in (S.PENDING_CREATE, S.PENDING_UPDATE):
            if event.succeeded:
                await placement.save_and_announce(uow, instance.transition(S.ACTIVE))
            else:
                await placement.fail(uow, instance, f"configuration failed: {event.reason}")
        await uow.commit()


async def service_instance_unconfigured(
    event: events.ServiceInstanceUnconfigured, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        instance = await repo.get_instance(uow.conn, instance_id=event.instance_id, for_update=True)
        if instance is not None and instance.status == S.PENDING_DELETE:
            if event.succeeded:
                await placement.finish_delete(uow, instance)
            else:
                await placement.fail(uow, instance, f"delete failed: {event.reason}")
        await uow.commit()


async def _refuse(uow: UnitOfWork, instance: ServiceInstance | None, wanted: str) -> None:
    """A command that no longer fits: re-announce the real state so the api converges."""
    log.warning(
        "refusing a service instance command that does not fit its state",
        extra={"wanted": wanted, "status": instance.status if instance else None},
    )
    if instance is not None:
        await placement.save_and_announce(uow, instance.changed())


HANDLERS: HandlerTable = {
    events.DeviceTemplateCreated: template_saved,
    events.DeviceTemplateUpdated: template_saved,
    events.DeviceTemplateDeleted: template_deleted,
    events.DeviceStatusChanged: device_status_changed,
    events.DeviceDeleted: device_deleted,
    commands.CreateServiceInstance: create_service_instance,
    commands.UpdateServiceInstance: update_service_instance,
    commands.DeleteServiceInstance: delete_service_instance,
    events.ServiceInstanceConfigured: service_instance_configured,
    events.ServiceInstanceUnconfigured: service_instance_unconfigured,
}
