"""One handler per message mgmt consumes, registered in HANDLERS."""

from __future__ import annotations

import asyncio
import logging

from servicevm_mgmt.adapters import repository as repo
from servicevm_mgmt.domain.notifications import (
    device_deleted_notification,
    device_notification,
    template_notification,
)
from servicevm_mgmt.drivers import get_mgmt_driver
from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from shared.config import get_settings
from shared.contracts import events
from shared.contracts.models import DeviceTemplateSnapshot
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.plugins import PluginNotFound

log = logging.getLogger(__name__)


async def device_spawned(event: events.DeviceSpawned, ctx: HandlerContext) -> None:
    """Configure the new (or updated) device, then tell lifecycle how it went."""
    device = ManagedDevice(
        device_id=event.device_id,
        tenant_id=event.tenant_id,
        mgmt_address=event.mgmt_address,
        parameters=event.template_attributes,
        configuration=event.kwargs,
    )
    reason: str | None = None
    try:
        driver = get_mgmt_driver(event.mgmt_driver)
        await asyncio.wait_for(driver.apply(device), get_settings().driver_timeout_seconds)
    except (MgmtDriverError, PluginNotFound, TimeoutError) as exc:
        reason = str(exc) or exc.__class__.__name__
        log.warning(
            "configuration failed", extra={"device_id": str(event.device_id), "reason": reason}
        )
    async with ctx.transaction(final=True) as uow:
        if reason is None:
            await repo.record_configuration(
                uow.conn,
                device_id=event.device_id,
                tenant_id=event.tenant_id,
                mgmt_driver=event.mgmt_driver,
                mgmt_address=event.mgmt_address,
                configuration=event.kwargs,
            )
        configured = events.DeviceConfigured(
            device_id=event.device_id,
            operation=event.operation,
            succeeded=reason is None,
            reason=reason,
        )
        await uow.publish(configured, tenant_id=event.tenant_id)
        await uow.commit()


async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    if event.previous_status == event.device.status:
        return await _skip(ctx)  # a re-announcement, not a change
    async with ctx.transaction(final=True) as uow:
        await uow.notify(
            device_notification(
                ctx.envelope,
                event.device,
                status=event.device.status,
                previous_status=event.previous_status,
            )
        )
        await uow.commit()


async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.forget_device(uow.conn, device_id=event.device.id)
        await uow.notify(
            device_deleted_notification(
                ctx.envelope, event.device, previous_status=event.previous_status
            )
        )
        await uow.commit()


async def template_created(event: events.DeviceTemplateCreated, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "created")


async def template_updated(event: events.DeviceTemplateUpdated, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "updated")


async def template_deleted(event: events.DeviceTemplateDeleted, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "deleted")


async def _notify_template(
    ctx: HandlerContext, template: DeviceTemplateSnapshot, action: str
) -> None:
    async with ctx.transaction(final=True) as uow:
        await uow.notify(template_notification(ctx.envelope, template, action=action))
        await uow.commit()


async def _skip(ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await uow.commit()


HANDLERS: HandlerTable = {
    events.DeviceSpawned: device_spawned,
    events.DeviceStatusChanged: device_status_changed,
    events.DeviceDeleted: device_deleted,
    events.DeviceTemplateCreated: template_created,
    events.DeviceTemplateUpdated: template_updated,
    events.DeviceTemplateDeleted: template_deleted,
}
