"""Handlers of the subscription commands the api sends."""

from __future__ import annotations

from servicevm_mgmt.subscriptions import repository as sub_repo
from shared.contracts import commands
from shared.messaging.dispatch import HandlerContext, HandlerTable


async def create_subscription(cmd: commands.CreateSubscription, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await sub_repo.add_subscription(uow.conn, subscription_id=cmd.id, spec=cmd.subscription)
        await uow.commit()


async def delete_subscription(cmd: commands.DeleteSubscription, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await sub_repo.delete_subscription(uow.conn, subscription_id=cmd.id)
        await uow.commit()


SUBSCRIPTION_HANDLERS: HandlerTable = {
    commands.CreateSubscription: create_subscription,
    commands.DeleteSubscription: delete_subscription,
}
