"""Keeps the scheduler's projection of templates and devices current."""

from __future__ import annotations

from servicevm_scheduler.adapters import repository as repo
from shared.contracts import events
from shared.messaging.dispatch import HandlerContext, HandlerTable


async def template_saved(
    event: events.DeviceTemplateCreated | events.DeviceTemplateUpdated, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.upsert_template(uow.conn, template=event.template)
        await uow.commit()


async def template_deleted(event: events.DeviceTemplateDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.delete_template(uow.conn, template_id=event.template.id)
        await uow.commit()


async def device_status_changed(event: events.DeviceStatusChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.apply_device(uow.conn, device=event.device)
        await uow.commit()


async def device_deleted(event: events.DeviceDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await repo.remove_device(uow.conn, device_id=event.device.id)
        await uow.commit()


HANDLERS: HandlerTable = {
    events.DeviceTemplateCreated: template_saved,
    events.DeviceTemplateUpdated: template_saved,
    events.DeviceTemplateDeleted: template_deleted,
    events.DeviceStatusChanged: device_status_changed,
    events.DeviceDeleted: device_deleted,
}
