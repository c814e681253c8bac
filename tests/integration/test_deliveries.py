"""The deliveries outbox against the real database: several deliverers at once (two here
plus the suite's mgmt) send each notification once, each subscription's in order; a
refusal is given up and kept with its reason; secrets follow a key rotation."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, func, insert, select, text, update

from servicevm_mgmt.adapters.orm import deliveries, metadata, subscriptions
from servicevm_mgmt.jobs.deliverer import deliver_notifications
from servicevm_mgmt.subscriptions import repository as sub_repo
from servicevm_mgmt.subscriptions.notifier import notify
from servicevm_mgmt.subscriptions.rotation import rotate_secrets
from shared.config import Settings
from shared.contracts.models import SubscriptionSpec
from shared.contracts.notifications import Notification
from shared.devstack import Suite
from shared.messaging.dispatch import ServiceStore
from shared.runtime import ServiceDefinition, build_store
from shared.secrets import Cipher
from tests.support.db import fetch
from tests.support.receiver import Receiver, receiving

NOTIFICATIONS = 15


def _store(suite: Suite) -> ServiceStore:
    return _store_of(suite.settings)


def _store_of(settings: Settings) -> ServiceStore:
    definition = ServiceDefinition(name="mgmt", metadata=metadata, handlers={})
    return build_store(definition, settings)


def _notification(tenant: str, n: int) -> Notification:
    return Notification(
        event_type="device.active",
        resource_type="device",
        resource_id=uuid.uuid4(),
        tenant_id=tenant,
        request_id="req-deliveries",
        payload={"n": n},
    )


async def _subscribe(store: ServiceStore, tenant: str, urls: list[str]) -> None:
    async with store.unit_of_work("req-deliveries") as uow:
        for url in urls:
            spec = SubscriptionSpec(
                tenant_id=tenant,
                callback_uri=url,
                event_types=[],
                resource_types=[],
                all_projects=False,
                auth_type="none",
            )
            await sub_repo.add_subscription(uow.conn, subscription_id=uuid.uuid4(), spec=spec)
        await uow.commit()


async def _notify(store: ServiceStore, tenant: str, count: int) -> None:
    for n in range(count):
        async with store.unit_of_work("req-deliveries") as uow:
            await notify(uow, _notification(tenant, n))
            await uow.commit()


async def _deliver_with_two_more(suite: Suite, receivers: list[Receiver], tenant: str) -> None:
    store = _store(suite)
    await _subscribe(store, tenant, [f"{r.url}?sub={i}" for i, r in enumerate(receivers)])
    deliverers = [
        asyncio.create_task(deliver_notifications(store, suite.settings)) for _ in range(2)
    ]
    try:
        await _notify(store, tenant, NOTIFICATIONS)
        for _ in range(200):
            if all(len(r.attempts) >= NOTIFICATIONS for r in receivers):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for a duplicate to show up
    finally:
        for task in deliverers:
            task.cancel()
        await asyncio.gather(*deliverers, return_exceptions=True)
        await store.engine.dispose()


def test_competing_deliverers_send_each_notification_once_in_order(suite: Suite) -> None:
    tenant = f"deliveries-{uuid.uuid4().hex[:8]}"
    with receiving() as first, receiving() as second, receiving() as third:
        receivers = [first, second, third]
        asyncio.run(_deliver_with_two_more(suite, receivers, tenant))
        for receiver in receivers:
            sent = [r.notification["payload"]["n"] for r in receiver.attempts]
            assert sent == list(range(NOTIFICATIONS))
    pending = fetch(
        suite.settings,
        "mgmt",
        "SELECT count(*) FROM mgmt.deliveries d JOIN mgmt.subscriptions s "
        "ON s.id = d.subscription_id WHERE s.tenant_id = $1",
        tenant,
    )
    assert pending[0][0] == 0


def test_a_refused_delivery_is_given_up_and_kept_with_its_reason(suite: Suite) -> None:
    tenant = f"deliveries-{uuid.uuid4().hex[:8]}"

    async def scenario(url: str) -> None:
        store = _store(suite)
        await _subscribe(store, tenant, [url])
        await _notify(store, tenant, 1)
        await store.engine.dispose()

    with receiving([404]) as refusing:
        asyncio.run(scenario(refusing.url))
        query = (
            "SELECT d.attempts, d.last_error FROM mgmt.deliveries d JOIN mgmt.subscriptions s "
            "ON s.id = d.subscription_id WHERE s.tenant_id = $1 AND d.failed_at IS NOT NULL"
        )
        for _ in range(100):
            failed = fetch(suite.settings, "mgmt", query, tenant)
            if failed:
                break
            time.sleep(0.1)
    assert [(row[0], row[1]) for row in failed] == [(1, "the callback answered 404")]
    assert len(refusing.attempts) == 1


async def _rotate(settings: Settings, old: bytes, new: bytes) -> tuple[str, int, int]:
    store = build_store(ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), settings)
    subscription_id = uuid.uuid4()
    spec = SubscriptionSpec(
        tenant_id=f"rotation-{uuid.uuid4().hex[:8]}",
        callback_uri="https://nfvo.example.com/cb",
        event_types=[],
        resource_types=[],
        all_projects=False,
        auth_type="hmac",
        encrypted_secret=Cipher([old]).encrypt("s3cret"),
    )
    try:
        async with store.unit_of_work("req-rotation-test") as uow:
            await sub_repo.add_subscription(uow.conn, subscription_id=subscription_id, spec=spec)
            await uow.commit()
        rotated = await rotate_secrets(store, Cipher([new, old]))
        again = await rotate_secrets(store, Cipher([new, old]))
        async with store.unit_of_work("req-rotation-test") as uow:
            [(_, token)] = [
                pair for pair in await sub_repo.lock_secrets(uow.conn) if pair[0] == subscription_id
            ]
            await sub_repo.delete_subscription(uow.conn, subscription_id=subscription_id)
            await uow.commit()
        return token, rotated, again
    finally:
        await store.engine.dispose()


def test_rotation_reencrypts_subscription_secrets_with_the_primary_key(
    database: Settings,
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token, rotated, again = asyncio.run(_rotate(database, old, new))
    assert rotated >= 1 and again == 0
    assert Cipher([new]).decrypt(token) == "s3cret"  # the old key is no longer needed


async def _claims(settings: Settings) -> list[list[str]]:
    """Four subscriptions, two deliveries each, in one transaction (rolled back: no
    deliverer ever sees them): a's first is leased, b's not due yet, c's given up."""
    store = build_store(ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), settings)
    names: dict[int, str] = {}
    try:
        async with store.unit_of_work("req-claims") as uow:
            conn = uow.conn
            tenant = f"claims-{uuid.uuid4().hex[:8]}"
            for sub in "abcd":
                subscription_id = uuid.uuid4()
                spec = SubscriptionSpec(
                    tenant_id=tenant,
                    callback_uri=f"https://nfvo.example.com/{sub}",
                    event_types=[],
                    resource_types=[],
                    all_projects=False,
                    auth_type="none",
                )
                await sub_repo.add_subscription(conn, subscription_id=subscription_id, spec=spec)
                for n in (1, 2):
                    row = {
                        "subscription_id": subscription_id,
                        "notification_id": uuid.uuid4(),
                        "event_type": "device.active",
                        "body": b"{}",
                    }
                    ids = await conn.execute(
                        insert(deliveries).values(row).returning(deliveries.c.id)
                    )
                    names[ids.scalar_one()] = f"{sub}{n}"
            first = {name: id_ for id_, name in names.items()}
            held: dict[str, dict[str, Any]] = {
                "a1": {"leased_until": func.now() + timedelta(minutes=1)},
                "b1": {"next_attempt_at": func.now() + timedelta(minutes=1)},
                "c1": {"failed_at": func.now()},
            }
            for name, values in held.items():
                await conn.execute(
                    update(deliveries).where(deliveries.c.id == first[name]).values(**values)
                )

            async def claim() -> list[str]:
                rows = await sub_repo.claim_due(conn, limit=10_000, lease_seconds=60)
                return [names[row.id] for row in rows if row.id in names]

            rounds = [await claim(), await claim()]
            await sub_repo.delivered(conn, delivery_ids=[first["c2"], first["d1"]])
            rounds.append(await claim())
            # Never committed: left, the unit of work rolls back.
        return rounds
    finally:
        await store.engine.dispose()


def test_a_claim_takes_each_subscriptions_oldest_pending_delivery_never_one_behind_it(
    database: Settings,
) -> None:
    first, again, after_delivery = asyncio.run(_claims(database))
    # a's head is being sent, b's waits for its retry: nothing of theirs goes out before
    # it. c's head was given up: its next one is the head. One claim, across subscriptions.
    assert first == ["c2", "d1"]
    assert again == []  # claimed: leased
    assert after_delivery == ["d2"]  # delivered: the next in line


async def _added_while_another_is_uncommitted(settings: Settings) -> list[int]:
    """A notification's delivery added while another transaction's delivery to the same
    subscription is not committed yet: refused (lock_timeout) until it is, then added."""
    store = _store_of(settings)
    tenant = f"order-{uuid.uuid4().hex[:8]}"
    try:
        await _subscribe(store, tenant, ["https://nfvo.example.com/order"])
        async with store.unit_of_work("req-deliveries") as first:
            await notify(first, _notification(tenant, 0))
            async with store.unit_of_work("req-deliveries") as second:
                await second.conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
                with pytest.raises(asyncpg.exceptions.LockNotAvailableError):
                    await notify(second, _notification(tenant, 1))
            await first.commit()
        await _notify(store, tenant, 1)
        async with store.engine.connect() as conn:
            query = (
                select(deliveries.c.id)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(subscriptions.c.tenant_id == tenant)
                .order_by(deliveries.c.id)
            )
            ids = list((await conn.scalars(query)).all())
            await conn.execute(delete(subscriptions).where(subscriptions.c.tenant_id == tenant))
            await conn.commit()
        return ids
    finally:
        await store.engine.dispose()


def test_deliveries_to_one_subscription_take_their_ids_in_commit_order(
    database: Settings,
) -> None:
    # Else the later commit's smaller id would be a new head behind one being sent.
    ids = asyncio.run(_added_while_another_is_uncommitted(database))
    assert len(ids) == 2
