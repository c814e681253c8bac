"""mgmt's subscriptions and their deliveries (the HTTP outbox)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Integer,
    Interval,
    Row,
    any_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import deliveries, subscriptions
from servicevm_mgmt.adapters.repository import driver_of
from servicevm_mgmt.subscriptions.presence import SUBSCRIPTIONS_CHANNEL
from shared.contracts.models import LccnSubscriptionSpec, SubscriptionSpec
from shared.db.raw import qualified

SERVICEVM = "servicevm"
VNFLCM = "vnflcm"

# Sent (at commit) by every transaction that adds deliveries: wakes the deliverers.
DELIVERIES_CHANNEL = "servicevm_mgmt_deliveries"


async def add_subscription(
    conn: AsyncConnection, *, subscription_id: uuid.UUID, spec: SubscriptionSpec
) -> None:
    await conn.execute(
        pg_insert(subscriptions)
        .values(id=subscription_id, **spec.model_dump())
        .on_conflict_do_nothing(index_elements=[subscriptions.c.id])
    )
    await _changed(conn, SUBSCRIPTIONS_CHANNEL)


async def add_lccn_subscription(
    conn: AsyncConnection, *, subscription_id: uuid.UUID, spec: LccnSubscriptionSpec
) -> None:
    await conn.execute(
        pg_insert(subscriptions)
        .values(
            id=subscription_id,
            kind=VNFLCM,
            event_types=[],
            resource_types=[],
            all_projects=False,
            **spec.model_dump(),
        )
        .on_conflict_do_nothing(index_elements=[subscriptions.c.id])
    )
    await _changed(conn, SUBSCRIPTIONS_CHANNEL)


async def delete_subscription(conn: AsyncConnection, *, subscription_id: uuid.UUID) -> None:
    # Its deliveries go with it (ON DELETE CASCADE).
    await conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
    await _changed(conn, SUBSCRIPTIONS_CHANNEL)


# The tenant's subscriptions and every all_projects one: the only ones that may match.
_CANDIDATES = select(subscriptions).where(
    subscriptions.c.kind == SERVICEVM,
    or_(subscriptions.c.tenant_id == bindparam("tenant_id"), subscriptions.c.all_projects),
)
# The project's SOL003 subscriptions, oldest first.
_LCCN_CANDIDATES = (
    select(subscriptions.c.id, subscriptions.c.lccn_filter)
    .where(subscriptions.c.kind == VNFLCM, subscriptions.c.tenant_id == bindparam("tenant_id"))
    .order_by(subscriptions.c.created_at, subscriptions.c.id)
)


async def candidates(conn: AsyncConnection, *, tenant_id: str) -> list[Row[Any]]:
    return list((await conn.execute(_CANDIDATES, {"tenant_id": tenant_id})).all())


async def lccn_candidates(conn: AsyncConnection, *, tenant_id: str) -> list[Any]:
    return list((await conn.execute(_LCCN_CANDIDATES, {"tenant_id": tenant_id})).all())


def _add_deliveries_sql() -> str:
    """The rows in their order and the deliverers' wake-up, in one statement.

    A delivery's id is its place in its subscription's order, but ids are taken when rows
    are inserted, not when they commit: a transaction that took a smaller id and committed
    later would add a new head behind one being sent (sent at once, and out of order). So
    the subscriptions' rows are locked first, in id order (FOR NO KEY UPDATE: the
    deliveries' foreign key checks still pass), and held until commit: transactions adding
    deliveries to one subscription take their ids one after another. A subscription deleted
    meanwhile gets none (its row is gone) instead of failing the transaction."""
    columns = "subscription_id, notification_id, event_type, body"
    return (
        f"WITH locked AS (SELECT id FROM {qualified(subscriptions)} "
        "WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE), "
        f"added AS (INSERT INTO {qualified(deliveries)} ({columns}) "
        f"SELECT {', '.join(f'given.{c}' for c in columns.split(', '))} "
        "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bytea[]) "
        f"WITH ORDINALITY AS given ({columns}, position) "
        # A row's id is taken after its subscription's row is locked: it joins that row.
        "JOIN locked ON locked.id = given.subscription_id ORDER BY given.position) "
        "SELECT pg_notify($5, '')"
    )


_ADD_DELIVERIES = _add_deliveries_sql()


async def add_deliveries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    driver = await driver_of(conn)
    await driver.execute(
        _ADD_DELIVERIES,
        [row["subscription_id"] for row in rows],
        [row["notification_id"] for row in rows],
        [row["event_type"] for row in rows],
        [row["body"] for row in rows],
        DELIVERIES_CHANNEL,
    )


async def _changed(conn: AsyncConnection, channel: str) -> None:
    # Delivered at commit, to the listeners of every mgmt process (jobs.listener).
    await conn.execute(select(func.pg_notify(channel, "")))


async def claim_due(conn: AsyncConnection, *, limit: int, lease_seconds: float) -> list[Any]:
    """Lease up to ``limit`` due deliveries, each the oldest pending one of its subscription
    (so a subscription's notifications go out in order), oldest first, with what is needed
    to send them: one statement for the whole batch, across subscriptions.

    The heads come from a skip scan of ``deliveries_pending`` (subscription_id, id): one
    index probe per subscription with something pending, however long its backlog. A head
    that is leased or not yet due keeps its subscription out of the batch (never the next
    one: that would break the order). SKIP LOCKED lets several deliverers claim at once
    without waiting on each other; a head another one claimed meanwhile is rechecked once
    locked and left out (its lease). The lease keeps a claimed row from being sent again
    until its sender had time to finish.
    """
    lease = timedelta(seconds=lease_seconds)
    result = await conn.execute(_CLAIM, {"limit": limit, "lease": lease})
    return list(result.all())


def _claim_statement() -> Any:
    """Built once (it is the same every time but for its parameters ``limit`` and ``lease``):
    building it per claim cost more CPU than the database spent on it."""
    now = func.now()
    heads = _heads()
    # An array of the heads' ids: each is looked up in deliveries_pkey (a join may scan it
    # from the oldest id up to the newest head instead).
    head_ids = cast(select(func.array_agg(heads.c.id)).scalar_subquery(), ARRAY(BigInteger))
    due = (
        select(deliveries.c.id)
        .where(
            deliveries.c.id == any_(head_ids),
            deliveries.c.failed_at.is_(None),
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.leased_until.is_(None), deliveries.c.leased_until < now),
        )
        .order_by(deliveries.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    claimed = (
        update(deliveries)
        .where(deliveries.c.id.in_(due.scalar_subquery()))
        .values(leased_until=now + bindparam("lease", type_=Interval))
        .returning(deliveries.c.id)
        .cte("claimed")
    )
    return (
        select(
            deliveries.c.id,
            deliveries.c.subscription_id,
            deliveries.c.notification_id,
            deliveries.c.event_type,
            deliveries.c.body,
            deliveries.c.attempts,
            deliveries.c.created_at,
            subscriptions.c.callback_uri,
            subscriptions.c.auth_type,
            subscriptions.c.auth_username,
            subscriptions.c.encrypted_secret,
            subscriptions.c.token_endpoint,
        )
        .join(claimed, claimed.c.id == deliveries.c.id)
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .order_by(deliveries.c.id)
    )


def _heads() -> Any:
    """(subscription_id, id) of the oldest pending delivery of each subscription: a
    recursive CTE walking ``deliveries_pending`` from one subscription to the next."""
    pending = deliveries.c.failed_at.is_(None)
    order = (deliveries.c.subscription_id, deliveries.c.id)
    first = (
        select(deliveries.c.subscription_id, deliveries.c.id)
        .where(pending)
        .order_by(*order)
        .limit(1)
    )
    heads = first.cte("heads", recursive=True)
    following = (
        select(deliveries.c.subscription_id, deliveries.c.id)
        .where(pending, deliveries.c.subscription_id > heads.c.subscription_id)
        .order_by(*order)
        .limit(1)
        .lateral("following")
    )
    return heads.union_all(
        select(following.c.subscription_id, following.c.id).select_from(
            heads.join(following, true())
        )
    )


_CLAIM = _claim_statement()


async def delivered(conn: AsyncConnection, *, delivery_ids: list[int]) -> None:
    if delivery_ids:
        await conn.execute(delete(deliveries).where(deliveries.c.id.in_(delivery_ids)))


async def retry_later(
    conn: AsyncConnection, *, delivery_id: int, attempts: int, delay_seconds: float, error: str
) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            attempts=attempts,
            next_attempt_at=func.now() + timedelta(seconds=delay_seconds),
            leased_until=None,
            last_error=error,
        )
    )


async def give_up(conn: AsyncConnection, *, delivery_id: int, attempts: int, error: str) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(attempts=attempts, leased_until=None, last_error=error, failed_at=func.now())
    )


async def redeliver(conn: AsyncConnection, *, subscription_id: uuid.UUID) -> int:
    """The given-up deliveries of the subscription are pending again, in their order, with
    a new retry window; how many."""
    result = await conn.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.failed_at.is_not(None))
        .values(
            failed_at=None,
            attempts=0,
            leased_until=None,
            next_attempt_at=func.now(),
            created_at=func.now(),
        )
    )
    if result.rowcount:
        await _changed(conn, DELIVERIES_CHANNEL)
    return int(result.rowcount or 0)


async def lock_secrets(conn: AsyncConnection) -> list[tuple[uuid.UUID, str]]:
    query = (
        select(subscriptions.c.id, subscriptions.c.encrypted_secret)
        .where(subscriptions.c.encrypted_secret.is_not(None))
        .with_for_update()
    )
    return [(row.id, row.encrypted_secret) for row in await conn.execute(query)]


async def set_secret(
    conn: AsyncConnection, *, subscription_id: uuid.UUID, encrypted_secret: str
) -> None:
    await conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(encrypted_secret=encrypted_secret)
    )
