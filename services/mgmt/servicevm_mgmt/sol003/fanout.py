"""Publish one SOL003 notification in the caller's transaction: on the admins' and the
per-project exchanges (routing key ``[<project>.]vnflcm.<notificationType>``) and as one
delivery per SOL003 subscription of the project whose filter lets it through, each body
naming its subscription."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.sol003.filters import Subject, matches
from servicevm_mgmt.sol003.notices import subscription_href
from servicevm_mgmt.subscriptions import repository as sub_repo
from servicevm_mgmt.subscriptions.presence import PRESENCE
from shared.config import get_settings
from shared.contracts import sol003
from shared.db.uow import UnitOfWork


async def publish(
    uow: UnitOfWork, notification: sol003.Sol003Notification, *, tenant_id: str, subject: Subject
) -> None:
    event_type = sol003.event_type(notification.notificationType)
    await uow.publish_notification(
        notification_id=notification.id,
        tenant_id=tenant_id,
        event_type=event_type,
        body=sol003.to_json(notification),
    )
    if not await may_have_subscribers(uow.conn, tenant_id=tenant_id):
        return
    base_url = get_settings().api_base_url()
    rows: list[dict[str, Any]] = [
        {
            "subscription_id": row.id,
            "notification_id": notification.id,
            "event_type": event_type,
            "body": sol003.for_subscription(
                notification, row.id, subscription_href(base_url, row.id)
            ),
        }
        for row in await sub_repo.lccn_candidates(uow.conn, tenant_id=tenant_id)
        if matches(row.lccn_filter, subject)
    ]
    await sub_repo.add_deliveries(uow.conn, rows)


async def may_have_subscribers(conn: AsyncConnection, *, tenant_id: str) -> bool:
    """False only when the project has no SOL003 subscription (no query while the presence
    cache is trusted)."""
    return await PRESENCE.may_have_subscribers(conn, tenant_id=tenant_id, kind=sub_repo.VNFLCM)
