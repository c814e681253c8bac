"""The outbox contract: what a transaction commits is published, in commit order, once;
what it rolls back never leaves."""

from __future__ import annotations

import asyncio
import uuid

from servicevm_mgmt.adapters.orm import metadata
from shared.contracts.notifications import Notification
from shared.devstack import Suite
from shared.messaging.dispatch import ServiceStore
from shared.runtime import ServiceDefinition, build_store
from tests.support.bus import NotificationListener


def _notification(resource_id: uuid.UUID, n: int) -> Notification:
    return Notification(
        event_type=f"test.outbox_{n}",
        resource_type="test",
        resource_id=resource_id,
        tenant_id="outbox-test",
        request_id="req-outbox",
        payload={"n": n},
    )


async def _write(store: ServiceStore, resource_id: uuid.UUID) -> None:
    for n in range(20):
        async with store.unit_of_work("req-outbox") as uow:
            await uow.notify(_notification(resource_id, n))
            if n % 5 == 4:
                continue  # leaves the block without commit: rolled back
            await uow.commit()
    await store.engine.dispose()


def test_committed_rows_are_published_in_order_and_rolled_back_ones_never(
    suite: Suite, notifications: NotificationListener
) -> None:
    store = build_store(
        ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), suite.settings
    )
    resource_id = uuid.uuid4()
    asyncio.run(_write(store, resource_id))

    expected = [n for n in range(20) if n % 5 != 4]
    notifications.wait_for(
        lambda _: len(notifications.for_resource(str(resource_id))) >= len(expected)
    )
    notifications.drain(0.5)
    received = [body["payload"]["n"] for _, body in notifications.for_resource(str(resource_id))]
    assert received == expected


async def _write_one_transaction(store: ServiceStore, resource_id: uuid.UUID) -> None:
    async with store.unit_of_work("req-outbox-one") as uow:
        for n in range(7):
            await uow.notify(_notification(resource_id, n))
        await uow.commit()
    await store.engine.dispose()


def test_rows_of_one_transaction_are_published_in_the_order_they_were_queued(
    suite: Suite, notifications: NotificationListener
) -> None:
    """They are written in one statement; their ids, hence the relay's order, follow the queue."""
    store = build_store(
        ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), suite.settings
    )
    resource_id = uuid.uuid4()
    asyncio.run(_write_one_transaction(store, resource_id))

    notifications.wait_for(lambda _: len(notifications.for_resource(str(resource_id))) >= 7)
    notifications.drain(0.5)
    received = [body["payload"]["n"] for _, body in notifications.for_resource(str(resource_id))]
    assert received == list(range(7))
