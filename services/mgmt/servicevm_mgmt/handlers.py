"""One handler per message mgmt consumes, registered in HANDLERS (the subscription
commands' live in ``subscriptions.handlers``)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters import repository as repo
from servicevm_mgmt.domain.notifications import (
    capacity_notification,
    device_deleted_notification,
    device_notification,
    instance_notification,
    template_notification,
)
from servicevm_mgmt.drivers import get_mgmt_driver
from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriver, MgmtDriverError
from servicevm_mgmt.monitoring import hooks as monitoring
from servicevm_mgmt.sol003.handlers import SOL003_HANDLERS
from servicevm_mgmt.subscriptions.handlers import SUBSCRIPTION_HANDLERS
from servicevm_mgmt.subscriptions.notifier import notify
from shared.config import get_settings
from shared.contracts import events
from shared.contracts.models import DeviceTemplateSnapshot
from shared.contracts.statuses import ServiceInstanceStatus
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.messaging.not_yet import wait_for
from shared.plugins import PluginNotFound

log = logging.getLogger(__name__)


def _nothing_to_do_outside(event: events.DeviceSpawned) -> bool:
    return not event.configure and event.operation != "respawn"


@one_transaction(when=_nothing_to_do_outside)
async def device_spawned(event: events.DeviceSpawned, ctx: HandlerContext) -> None:
    """Configure the new (or updated) device, then tell lifecycle how it went; a device
    with nothing to configure (lifecycle made it ACTIVE already) is only recorded."""
    reason = await _configure(event) if event.configure else None
    if reason is None and event.operation == "respawn":
        reason = await monitoring.reapply_services(ctx.store.engine, event)
    async with ctx.transaction(final=True) as uow:
        if reason is None:
            await _record(uow.conn, event)
        if event.configure:
            configured = events.DeviceConfigured(
                device_id=event.device_id,
                operation=event.operation,
                succeeded=reason is None,
                reason=reason,
            )
            await uow.publish(configured, tenant_id=event.tenant_id)
        await uow.commit()


async def _record(conn: AsyncConnection, event: events.DeviceSpawned) -> None:
    """Remember how the device is configured and probe it by its policy."""
    # First: recording the configuration also removes the device's old monitors.
    await repo.record_configuration(
        conn,
        device_id=event.device_id,
        tenant_id=event.tenant_id,
        mgmt_driver=event.mgmt_driver,
        mgmt_address=event.mgmt_address,
        configuration=event.kwargs,
        parameters=event.template_attributes,
    )
    await monitoring.device_configured(conn, event)


async def _configure(event: events.DeviceSpawned) -> str | None:
    """Apply the device's configuration; why it failed, or None."""
    device = ManagedDevice(
        device_id=event.device_id,
        tenant_id=event.tenant_id,
        mgmt_address=event.mgmt_address,
        parameters=event.template_attributes,
        configuration=event.kwargs,
    )
    try:
        driver = get_mgmt_driver(event.mgmt_driver)
        await asyncio.wait_for(driver.apply(device), get_settings().driver_timeout_seconds)
    except (MgmtDriverError, PluginNotFound, TimeoutError) as exc:
        reason = str(exc) or exc.__class__.__name__
        log.warning(
            "configuration failed", extra={"device_id": str(event.device_id), "reason": reason}
        )
        return reason
    return None


# --- service instances on their devices ---------------------------------------------------


async def service_instance_placed(event: events.ServiceInstancePlaced, ctx: HandlerContext) -> None:
    """Configure the instance on each device the scheduler chose, then say how it went."""
    service_id = str(event.instance_id)

    async def apply(driver: MgmtDriver, device: ManagedDevice) -> None:
        await driver.apply_service(device, service_id, event.configuration)

    reason = await _on_each_device(ctx, event.devices, event.mgmt_driver, apply, missing_ok=False)
    async with ctx.transaction(final=True) as uow:
        if reason is None:
            await monitoring.instance_placed(uow.conn, event)
        configured = events.ServiceInstanceConfigured(
            instance_id=event.instance_id,
            operation=event.operation,
            succeeded=reason is None,
            reason=reason,
        )
        await uow.publish(configured, tenant_id=event.tenant_id)
        await uow.commit()


async def service_instance_releasing(
    event: events.ServiceInstanceReleasing, ctx: HandlerContext
) -> None:
    """Remove the instance's configuration from its devices (a device already gone holds
    nothing to remove), then let the scheduler free the slots."""
    service_id = str(event.instance_id)

    async def remove(driver: MgmtDriver, device: ManagedDevice) -> None:
        await driver.remove_service(device, service_id)

    reason = await _on_each_device(ctx, event.devices, event.mgmt_driver, remove, missing_ok=True)
    async with ctx.transaction(final=True) as uow:
        await monitoring.instance_releasing(uow.conn, event.instance_id)
        unconfigured = events.ServiceInstanceUnconfigured(
            instance_id=event.instance_id, succeeded=reason is None, reason=reason
        )
        await uow.publish(unconfigured, tenant_id=event.tenant_id)
        await uow.commit()


async def _on_each_device(
    ctx: HandlerContext,
    device_ids: list[uuid.UUID],
    mgmt_driver: str | None,
    step: Callable[[MgmtDriver, ManagedDevice], Awaitable[None]],
    *,
    missing_ok: bool,
) -> str | None:
    """Run a driver step on each device; the reason of the first failure, or None."""
    async with ctx.store.engine.connect() as conn:
        rows = {d: await repo.get_managed_device(conn, device_id=d) for d in device_ids}
    if not missing_ok:
        for device_id in (d for d, row in rows.items() if row is None):
            # lifecycle's device.spawned and the scheduler's placement come from two
            # producers: the device's record may still be on its way.
            wait_for(ctx.envelope, f"device {device_id} (its device.spawned)")
    for device_id, row in rows.items():
        if row is None:
            if missing_ok:
                continue
            return f"device {device_id} is not configured by mgmt"
        device = ManagedDevice(
            device_id=device_id,
            tenant_id=row.tenant_id,
            mgmt_address=row.mgmt_address,
            parameters=row.parameters,
            configuration=row.configuration,
        )
        try:
            driver = get_mgmt_driver(mgmt_driver or row.mgmt_driver)
            await asyncio.wait_for(step(driver, device), get_settings().driver_timeout_seconds)
        except (MgmtDriverError, PluginNotFound, TimeoutError) as exc:
            reason = f"device {device_id}: {str(exc) or exc.__class__.__name__}"
            log.warning("service configuration step failed", extra={"reason": reason})
            return reason
    return None


# --- notifications -----------------------------------------------------------------------


@one_transaction()
async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    """Notify the change; a created device lifecycle made ACTIVE itself may carry its
    device.spawned (the contract allows a create with nothing to configure only), recorded
    here first, as ``device_spawned`` would have before this message. No lease is needed
    for that: the device is new, so no operation of mgmt on it can be running."""
    # Each state the message names, in order (an in-process create: PENDING_CREATE, then
    # ACTIVE): one notification per change.
    changes = [(state, was) for state, was in event.changes() if was != state.status]
    if not changes and event.spawned is None:
        return await _skip(ctx)  # a re-announcement, not a change
    async with ctx.transaction(final=True) as uow:
        if event.spawned is not None:
            await _record(uow.conn, event.spawned)
        if changes:
            await monitoring.device_status_changed(uow.conn, event)
        for state, was in changes:
            notification = device_notification(
                ctx.envelope, state, status=state.status, previous_status=was
            )
            await notify(uow, notification)
        await uow.commit()


@one_transaction()
async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.forget_device(uow.conn, device_id=event.device.id)
        await notify(
            uow,
            device_deleted_notification(
                ctx.envelope, event.device, previous_status=event.previous_status
            ),
        )
        await uow.commit()


@one_transaction()
async def service_instance_status_changed(
    event: events.ServiceInstanceStatusChanged, ctx: HandlerContext
) -> None:
    """One notification per status the instance entered (a change of its devices alone
    notifies nothing); a placement the scheduler made ACTIVE itself (``event.placed``) is
    recorded as ``service_instance_placed`` records a configured one."""
    # Each status it entered, oldest first (PENDING_CREATE, then ACTIVE, for one made
    # ACTIVE where it was placed).
    entered = [(state, before) for state, before in event.changes() if before != state.status]
    if not entered and event.placed is None:
        return await _skip(ctx)
    async with ctx.transaction(final=True) as uow:
        if event.placed is not None:
            await monitoring.instance_placed(uow.conn, event.placed)
        for state, before in entered:
            notification = instance_notification(
                ctx.envelope, state, status=state.status, previous_status=before
            )
            await notify(uow, notification)
        await uow.commit()


@one_transaction()
async def service_instance_deleted(
    event: events.ServiceInstanceDeleted, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        # Gone from its devices: already forgotten when mgmt removed it there, not when the
        # scheduler deleted it without asking (its driver removes nothing).
        await monitoring.instance_releasing(uow.conn, event.instance.id)
        await notify(
            uow,
            instance_notification(
                ctx.envelope,
                event.instance,
                status=ServiceInstanceStatus.DELETED,
                previous_status=event.previous_status,
            ),
        )
        await uow.commit()


@one_transaction()
async def device_capacity_changed(event: events.DeviceCapacityChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await notify(uow, capacity_notification(ctx.envelope, event))
        await uow.commit()


@one_transaction()
async def template_created(event: events.DeviceTemplateCreated, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "created")


@one_transaction()
async def template_updated(event: events.DeviceTemplateUpdated, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "updated")


@one_transaction()
async def template_deleted(event: events.DeviceTemplateDeleted, ctx: HandlerContext) -> None:
    await _notify_template(ctx, event.template, "deleted")


async def _notify_template(
    ctx: HandlerContext, template: DeviceTemplateSnapshot, action: str
) -> None:
    async with ctx.transaction(final=True) as uow:
        await notify(uow, template_notification(ctx.envelope, template, action=action))
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
    events.ServiceInstancePlaced: service_instance_placed,
    events.ServiceInstanceReleasing: service_instance_releasing,
    events.ServiceInstanceStatusChanged: service_instance_status_changed,
    events.ServiceInstanceDeleted: service_instance_deleted,
    events.DeviceCapacityChanged: device_capacity_changed,
    **SUBSCRIPTION_HANDLERS,
    **SOL003_HANDLERS,
}
