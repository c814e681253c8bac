"""The outbox contract: what a transaction commits is published, in commit order, once;
what it rolls back never leaves."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from servicevm_mgmt.adapters.orm import metadata
from shared.contracts.notifications import Notification
from shared.devstack import Suite
from shared.messaging.dispatch import ServiceStore
from shared.messaging.topology import COMMANDS
from shared.runtime import ServiceDefinition, build_store
from tests.support.bus import NotificationListener
from tests.support.db import fetch

# No queue is bound to it on the commands exchange.
UNROUTABLE = "nobody.binds.this"
# RabbitMQ's default frame_max is 128 KiB: such a body goes in several frames.
LARGER_THAN_A_FRAME = 300_000


def _notification(resource_id: uuid.UUID, n: int, padding: str = "") -> Notification:
    return Notification(
        event_type=f"test.outbox_{n}",
        resource_type="test",
        resource_id=resource_id,
        tenant_id="outbox-test",
        request_id="req-outbox",
        payload={"n": n, "padding": padding},
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


async def _write_large_among_small(store: ServiceStore, resource_id: uuid.UUID) -> None:
    async with store.unit_of_work("req-outbox-large") as uow:
        for n in range(5):
            padding = "x" * LARGER_THAN_A_FRAME if n == 2 else ""
            await uow.notify(_notification(resource_id, n, padding))
        await uow.commit()
    await store.engine.dispose()


def test_a_message_larger_than_a_frame_is_published_whole_among_the_others(
    suite: Suite, notifications: NotificationListener
) -> None:
    """The relay writes a batch's publishes together: a body the broker's frame size splits
    must still arrive whole, and in its place."""
    store = build_store(
        ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), suite.settings
    )
    resource_id = uuid.uuid4()
    asyncio.run(_write_large_among_small(store, resource_id))

    notifications.wait_for(lambda _: len(notifications.for_resource(str(resource_id))) >= 5)
    notifications.drain(0.5)
    received = [body["payload"] for _, body in notifications.for_resource(str(resource_id))]
    assert [payload["n"] for payload in received] == list(range(5))
    assert len(received[2]["padding"]) == LARGER_THAN_A_FRAME


async def _write_unroutable(store: ServiceStore, message_id: uuid.UUID, then: uuid.UUID) -> None:
    async with store.unit_of_work("req-outbox-unroutable") as uow:
        await uow._add(
            message_id=message_id,
            exchange=COMMANDS,
            routing_key=UNROUTABLE,
            message_type=UNROUTABLE,
            body=b"{}",
        )
        await uow.commit()
    async with store.unit_of_work("req-outbox-unroutable") as uow:
        await uow.notify(_notification(then, 0))
        await uow.commit()
    await store.engine.dispose()


def _returned_total(suite: Suite) -> float:
    text = httpx.get(f"{suite.url('mgmt')}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("servicevm_outbox_returned_total{") and COMMANDS in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_an_unroutable_command_is_kept_in_the_outbox_not_deleted_as_delivered(
    suite: Suite, notifications: NotificationListener
) -> None:
    store = build_store(
        ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), suite.settings
    )
    message_id, later = uuid.uuid4(), uuid.uuid4()
    before = _returned_total(suite)
    asyncio.run(_write_unroutable(store, message_id, later))
    try:
        # What was committed after it still flows: the relay is not stuck on it.
        notifications.wait_for(lambda _: len(notifications.for_resource(str(later))) >= 1)
        deadline = time.monotonic() + 10
        while _returned_total(suite) <= before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _returned_total(suite) > before
        kept = fetch(
            suite.settings,
            "mgmt",
            "SELECT routing_key FROM outbox WHERE message_id = $1",
            message_id,
        )
        assert [row["routing_key"] for row in kept] == [UNROUTABLE]
    finally:
        fetch(suite.settings, "mgmt", "DELETE FROM outbox WHERE message_id = $1", message_id)
