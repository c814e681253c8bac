"""Every notification mgmt makes goes out through here: on the bus (the outbox) and to each
matching HTTP subscription (a delivery row), all in the caller's transaction, so a
notification is either committed with every delivery it owes or not at all."""

from __future__ import annotations

from typing import Any

from servicevm_mgmt.subscriptions import repository as sub_repo
from servicevm_mgmt.subscriptions.presence import PRESENCE
from servicevm_mgmt.subscriptions.rules import SubscriptionFilter, matches
from shared.contracts.notifications import Notification
from shared.db.uow import UnitOfWork


async def notify(uow: UnitOfWork, notification: Notification) -> None:
    body = notification.model_dump_json().encode()  # once: the bus and the deliveries
    await uow.publish_notification(
        notification_id=notification.id,
        tenant_id=notification.tenant_id,
        event_type=notification.event_type,
        body=body,
    )
    if not await PRESENCE.may_have_subscribers(uow.conn, tenant_id=notification.tenant_id):
        return
    subscribers = await sub_repo.candidates(uow.conn, tenant_id=notification.tenant_id)
    rows: list[dict[str, Any]] = [
        {
            "subscription_id": row.id,
            "notification_id": notification.id,
            "event_type": notification.event_type,
            "body": body,
        }
        for row in subscribers
        if matches(_filter(row), notification)
    ]
    await sub_repo.add_deliveries(uow.conn, rows)


def _filter(row: Any) -> SubscriptionFilter:
    return SubscriptionFilter(
        tenant_id=row.tenant_id,
        all_projects=row.all_projects,
        event_types=row.event_types,
        resource_types=row.resource_types,
    )
