"""The delivery state mgmt reports of each SOL003 subscription, kept by revision."""

from __future__ import annotations

from servicevm_api.vnflcm.subscriptions import service
from shared.contracts.events import SubscriptionDeliveryStateChanged
from shared.messaging.dispatch import HandlerContext, HandlerTable


async def delivery_state_changed(
    event: SubscriptionDeliveryStateChanged, ctx: HandlerContext
) -> None:
    async with ctx.transaction(final=True) as uow:
        await service.apply_delivery_state(uow, event)
        await uow.commit()


HANDLERS: HandlerTable = {SubscriptionDeliveryStateChanged: delivery_state_changed}
