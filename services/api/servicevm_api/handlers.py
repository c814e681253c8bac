"""Keeps the api's query model current from lifecycle's and the scheduler's events, and
runs the api's own background commands (VNF package onboarding, ``api.#``); the VNF LCM
projection (op occs and instances) from lifecycle's events."""

from __future__ import annotations

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters import vim_repository as vim_repo
from servicevm_api.vnflcm.handlers import HANDLERS as VNF_LCM_HANDLERS
from servicevm_api.vnflcm.subscriptions.handlers import HANDLERS as LCCN_HANDLERS
from servicevm_api.vnfpkgm.handlers import HANDLERS as VNF_PACKAGE_HANDLERS
from shared.contracts import events
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable


@one_transaction()
async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.apply_device_snapshot(await uow.driver(), device=event.device, first=event.first)
        await uow.commit()


@one_transaction()
async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.remove_device(uow.conn, device_id=event.device.id)
        await uow.commit()


@one_transaction()
async def device_capacity_changed(event: events.DeviceCapacityChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.apply_capacity(await uow.driver(), event=event)
        await uow.commit()


@one_transaction()
async def device_monitors_reported(
    event: events.DeviceMonitorsReported, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.apply_monitors(await uow.driver(), event=event)
        await uow.commit()


@one_transaction()
async def service_instance_status_changed(
    event: events.ServiceInstanceStatusChanged, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.apply_instance_snapshot(await uow.driver(), instance=event.instance)
        await uow.commit()


@one_transaction()
async def service_instance_deleted(
    event: events.ServiceInstanceDeleted, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.remove_service_instance(uow.conn, instance_id=event.instance.id)
        await uow.commit()


@one_transaction()
async def vim_status_changed(event: events.VimStatusChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await vim_repo.apply_status(uow.conn, event=event)
        await uow.commit()


HANDLERS: HandlerTable = {
    events.DeviceStatusChanged: device_status_changed,
    events.DeviceDeleted: device_deleted,
    events.DeviceCapacityChanged: device_capacity_changed,
    events.DeviceMonitorsReported: device_monitors_reported,
    events.ServiceInstanceStatusChanged: service_instance_status_changed,
    events.ServiceInstanceDeleted: service_instance_deleted,
    events.VimStatusChanged: vim_status_changed,
    **VNF_PACKAGE_HANDLERS,
    **VNF_LCM_HANDLERS,
    **LCCN_HANDLERS,
}
