"""The delivery state of each SOL003 subscription (what waits, what was given up, since
when, the last error), reported to the api as ``SubscriptionDeliveryStateChanged`` when it
changed since the last report. One replica reports at a time (a transaction-level
advisory lock); each report has the next revision of its subscription."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import deliveries, subscriptions
from servicevm_mgmt.subscriptions.presence import PRESENCE
from servicevm_mgmt.subscriptions.repository import VNFLCM
from shared.contracts.events import UNDELIVERABLE_SHOWN, SubscriptionDeliveryStateChanged
from shared.db.uow import UnitOfWork

# Any constant, the same in every mgmt process: who holds it reports this round.
_LOCK_KEY = 0x5E4_0DE1


_SOL003_SUBSCRIPTIONS = select(subscriptions.c.id).where(subscriptions.c.kind == VNFLCM)


async def current_states(conn: AsyncConnection) -> list[Any]:
    pending = deliveries.c.failed_at.is_(None)
    stats = (
        select(
            deliveries.c.subscription_id,
            func.count().filter(pending).label("pending"),
            func.count().filter(~pending).label("undeliverable"),
            func.min(deliveries.c.created_at).label("oldest"),
            # The newest notification that met an error: its error.
            func.array_agg(aggregate_order_by(deliveries.c.last_error, deliveries.c.id))
            .filter(deliveries.c.last_error.is_not(None))
            .label("errors"),
            func.array_agg(aggregate_order_by(deliveries.c.notification_id, deliveries.c.id))
            .filter(~pending)
            .label("undeliverable_ids"),
        )
        # Only the SOL003 subscriptions' deliveries: the others have no state reported.
        .where(deliveries.c.subscription_id.in_(_SOL003_SUBSCRIPTIONS))
        .group_by(deliveries.c.subscription_id)
        .subquery()
    )
    query = (
        select(
            subscriptions.c.id,
            subscriptions.c.tenant_id,
            subscriptions.c.state_revision,
            subscriptions.c.reported_state,
            stats.c.pending,
            stats.c.undeliverable,
            stats.c.oldest,
            stats.c.errors,
            stats.c.undeliverable_ids,
        )
        .outerjoin(stats, stats.c.subscription_id == subscriptions.c.id)
        .where(subscriptions.c.kind == VNFLCM)
    )
    return list((await conn.execute(query)).all())


def state_of(row: Any) -> dict[str, Any]:
    errors = row.errors or []
    return {
        "pending": int(row.pending or 0),
        "undeliverable": int(row.undeliverable or 0),
        "oldest_undelivered_at": row.oldest.isoformat() if row.oldest else None,
        "last_error": errors[-1] if errors else None,
        "undeliverable_ids": [str(i) for i in (row.undeliverable_ids or [])][:UNDELIVERABLE_SHOWN],
    }


async def report_changes(uow: UnitOfWork) -> int:
    """Publish the states that changed since their last report; how many. Without any
    SOL003 subscription (as the presence cache knows), not a statement."""
    if not await PRESENCE.may_exist(uow.conn, kind=VNFLCM):
        return 0
    locked = await uow.conn.scalar(select(func.pg_try_advisory_xact_lock(_LOCK_KEY)))
    if not locked:
        return 0
    reported = 0
    for row in await current_states(uow.conn):
        state = state_of(row)
        if state == (row.reported_state or _EMPTY):
            continue
        await _report(uow, row.id, row.tenant_id, row.state_revision + 1, state)
        reported += 1
    return reported


_EMPTY: dict[str, Any] = {
    "pending": 0,
    "undeliverable": 0,
    "oldest_undelivered_at": None,
    "last_error": None,
    "undeliverable_ids": [],
}


async def _report(
    uow: UnitOfWork,
    subscription_id: uuid.UUID,
    tenant_id: str,
    revision: int,
    state: dict[str, Any],
) -> None:
    await uow.conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(state_revision=revision, reported_state=state)
    )
    event = SubscriptionDeliveryStateChanged(
        subscription_id=subscription_id,
        tenant_id=tenant_id,
        pending=state["pending"],
        undeliverable=state["undeliverable"],
        oldest_undelivered_at=state["oldest_undelivered_at"],
        last_error=state["last_error"],
        undeliverable_ids=state["undeliverable_ids"],
        revision=revision,
    )
    await uow.publish(event, tenant_id=tenant_id)
