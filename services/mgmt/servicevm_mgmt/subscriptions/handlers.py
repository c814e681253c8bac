"""Handlers of the subscription commands the api sends."""

from __future__ import annotations

import logging

from servicevm_mgmt.subscriptions import repository as sub_repo
from shared.contracts import commands
from shared.messaging.dispatch import HandlerContext, HandlerTable

log = logging.getLogger(__name__)


async def create_subscription(cmd: commands.CreateSubscription, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await sub_repo.add_subscription(uow.conn, subscription_id=cmd.id, spec=cmd.subscription)
        await uow.commit()


async def delete_subscription(cmd: commands.DeleteSubscription, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await sub_repo.delete_subscription(uow.conn, subscription_id=cmd.id)
        await uow.commit()


async def create_lccn_subscription(
    cmd: commands.CreateLccnSubscription, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await sub_repo.add_lccn_subscription(
            uow.conn, subscription_id=cmd.id, spec=cmd.subscription
        )
        await uow.commit()


async def redeliver_notifications(
    cmd: commands.RedeliverNotifications, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        count = await sub_repo.redeliver(uow.conn, subscription_id=cmd.id)
        await uow.commit()
    log.info(
        "given-up notifications to be sent again",
        extra={"subscription_id": str(cmd.id), "count": count},
    )


SUBSCRIPTION_HANDLERS: HandlerTable = {
    commands.CreateSubscription: create_subscription,
    commands.DeleteSubscription: delete_subscription,
    commands.CreateLccnSubscription: create_lccn_subscription,
    commands.RedeliverNotifications: redeliver_notifications,
}
