"""Handlers of the VIM commands: record the VIM, then have it checked beside the consumer
(``checker``), which tells the api how it went."""

from __future__ import annotations

import logging

from servicevm_lifecycle.vims import repository as vim_repo
from servicevm_lifecycle.vims.checker import VimChecks
from shared.contracts import commands
from shared.contracts.models import VimStatus
from shared.messaging.dispatch import HandlerContext, HandlerTable

log = logging.getLogger(__name__)


class VimHandlers:
    """The handlers share the process's VimChecks (built in bootstrap)."""

    def __init__(self, checks: VimChecks) -> None:
        self.checks = checks

    def table(self) -> HandlerTable:
        return {
            commands.RegisterVim: self.register_vim,
            commands.UpdateVim: self.update_vim,
            commands.DeleteVim: delete_vim,
        }

    async def register_vim(self, cmd: commands.RegisterVim, ctx: HandlerContext) -> None:
        async with ctx.transaction(final=True) as uow:
            await vim_repo.add_vim(uow.conn, vim_id=cmd.id, spec=cmd.vim)
            await uow.commit()
        self.checks.schedule(ctx.store, cmd.id, ctx.envelope.correlation_id)

    async def update_vim(self, cmd: commands.UpdateVim, ctx: HandlerContext) -> None:
        async with ctx.transaction(final=True) as uow:
            row = await vim_repo.get_vim(uow.conn, vim_id=cmd.id, for_update=True)
            if row is not None:
                await vim_repo.update_vim(
                    uow.conn, vim_id=cmd.id, tenant_id=row.tenant_id, values=_changes(cmd)
                )
            await uow.commit()
        if row is None:
            log.warning("update of an unknown VIM ignored", extra={"vim_id": str(cmd.id)})
            return
        self.checks.schedule(ctx.store, cmd.id, ctx.envelope.correlation_id)


def _changes(cmd: commands.UpdateVim) -> dict[str, object]:
    values: dict[str, object] = {
        "name": cmd.name,
        "description": cmd.description,
        "is_default": cmd.is_default,
        # Until checked again (a crash before the check leaves it to the re-check).
        "status": VimStatus.PENDING,
    }
    if cmd.encrypted_secret is not None:
        values["encrypted_secret"] = cmd.encrypted_secret
    return values


async def delete_vim(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        if await vim_repo.vim_in_use(uow.conn, vim_id=cmd.id):
            # The api refuses this; a device that got the VIM as its default meanwhile needs it.
            log.warning("VIM still in use; not deleted", extra={"vim_id": str(cmd.id)})
        else:
            await vim_repo.delete_vim(uow.conn, vim_id=cmd.id)
        await uow.commit()
