"""Handlers of the device template commands: lifecycle keeps its own copy of each template
(its devices are built from it) and announces every change."""

from __future__ import annotations

import logging

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.adapters.template_cache import TEMPLATES
from shared.contracts import commands, events
from shared.contracts.models import DeviceTemplateSnapshot
from shared.messaging.dispatch import HandlerContext, HandlerTable

log = logging.getLogger(__name__)


async def create_device_template(cmd: commands.CreateDeviceTemplate, ctx: HandlerContext) -> None:
    template = DeviceTemplateSnapshot(**cmd.model_dump())
    async with ctx.transaction(final=True) as uow:
        if await repo.add_template(uow.conn, template=template):
            await uow.publish(
                events.DeviceTemplateCreated(template=template), tenant_id=template.tenant_id
            )
        await uow.commit()


async def update_device_template(cmd: commands.UpdateDeviceTemplate, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        if await repo.get_template(uow.conn, template_id=cmd.id) is not None:
            await repo.rename_template(
                uow.conn, template_id=cmd.id, name=cmd.name, description=cmd.description
            )
            template = await repo.get_template(uow.conn, template_id=cmd.id)
            assert template is not None
            await uow.publish(
                events.DeviceTemplateUpdated(template=template), tenant_id=template.tenant_id
            )
        await uow.commit()
    TEMPLATES.forget(cmd.id)  # read again when next used, with its new name


async def delete_device_template(cmd: commands.DeleteDeviceTemplate, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        template = await repo.get_template(uow.conn, template_id=cmd.id)
        if template is not None and await repo.template_in_use(uow.conn, template_id=cmd.id):
            log.warning(
                "template still used by a device; not deleted", extra={"template_id": str(cmd.id)}
            )
        elif template is not None:
            await repo.delete_template(uow.conn, template_id=cmd.id)
            await uow.publish(
                events.DeviceTemplateDeleted(template=template), tenant_id=template.tenant_id
            )
        await uow.commit()
    TEMPLATES.forget(cmd.id)


TEMPLATE_HANDLERS: HandlerTable = {
    commands.CreateDeviceTemplate: create_device_template,
    commands.UpdateDeviceTemplate: update_device_template,
    commands.DeleteDeviceTemplate: delete_device_template,
}
