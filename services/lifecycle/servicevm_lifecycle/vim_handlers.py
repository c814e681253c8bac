"""Handlers of the VIM commands: record the VIM, check it, tell the api how it went.

A check talks to the cloud, so it runs between transactions: the VIM is recorded first (a
redelivery finds it and checks again), and the final transaction records the outcome with
the message, so no VIM stays PENDING after its command is handled.
"""

from __future__ import annotations

import logging
import uuid

from servicevm_lifecycle import vims
from servicevm_lifecycle.adapters import vim_repository as vim_repo
from shared.config import get_settings
from shared.contracts import commands, events
from shared.contracts.models import VimStatus
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.secrets import SecretError, get_cipher

log = logging.getLogger(__name__)


async def register_vim(cmd: commands.RegisterVim, ctx: HandlerContext) -> None:
    async with ctx.transaction() as uow:
        await vim_repo.add_vim(uow.conn, vim_id=cmd.id, spec=cmd.vim)
        await uow.commit()
    await _check_and_announce(ctx, cmd.id)


async def update_vim(cmd: commands.UpdateVim, ctx: HandlerContext) -> None:
    async with ctx.transaction() as uow:
        row = await vim_repo.get_vim(uow.conn, vim_id=cmd.id, for_update=True)
        if row is not None:
            values: dict[str, object] = {
                "name": cmd.name,
                "description": cmd.description,
                "is_default": cmd.is_default,
            }
            if cmd.encrypted_secret is not None:
                values["encrypted_secret"] = cmd.encrypted_secret
            await vim_repo.update_vim(
                uow.conn, vim_id=cmd.id, tenant_id=row.tenant_id, values=values
            )
        await uow.commit()
    if row is None:
        log.warning("update of an unknown VIM ignored", extra={"vim_id": str(cmd.id)})
    await _check_and_announce(ctx, cmd.id)


async def delete_vim(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        if await vim_repo.vim_in_use(uow.conn, vim_id=cmd.id):
            # The api refuses this; a device that got the VIM as its default meanwhile needs it.
            log.warning("VIM still in use; not deleted", extra={"vim_id": str(cmd.id)})
        else:
            await vim_repo.delete_vim(uow.conn, vim_id=cmd.id)
        await uow.commit()


async def _check_and_announce(ctx: HandlerContext, vim_id: uuid.UUID) -> None:
    settings = get_settings()
    async with ctx.transaction() as uow:
        row = await vim_repo.get_vim(uow.conn, vim_id=vim_id)
    reason: str | None = "the VIM is not registered"
    if row is not None:
        try:
            credentials = vims.credentials(row, get_cipher(settings))
        except SecretError as exc:
            reason = f"credentials unusable: {exc}"
        else:
            reason = await vims.check(credentials, within=settings.vim_check_timeout_seconds)
    status = VimStatus.REACHABLE if reason is None else VimStatus.UNREACHABLE
    log.info("VIM checked", extra={"vim_id": str(vim_id), "status": status, "reason": reason})
    async with ctx.transaction(final=True) as uow:
        revision = await vim_repo.set_status(uow.conn, vim_id=vim_id, status=status, reason=reason)
        if row is not None and revision is not None:
            changed = events.VimStatusChanged(
                vim_id=vim_id,
                tenant_id=row.tenant_id,
                status=status,
                status_reason=reason,
                revision=revision,
            )
            await uow.publish(changed, tenant_id=row.tenant_id)
        await uow.commit()


VIM_HANDLERS: HandlerTable = {
    commands.RegisterVim: register_vim,
    commands.UpdateVim: update_vim,
    commands.DeleteVim: delete_vim,
}
