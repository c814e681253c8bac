"""The inbox and outbox statements run on the driver connection, yet inside the unit of
work's transaction: what it rolls back is gone, what it commits stays, in queue order."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import delete, select

from servicevm_mgmt.adapters.orm import metadata
from shared.config import Settings
from shared.contracts.envelope import Envelope
from shared.db.uow import AlreadyProcessed
from shared.messaging.dispatch import ServiceStore
from shared.messaging.topology import NOTIFICATIONS
from shared.runtime import ServiceDefinition, build_store


def _store(settings: Settings) -> ServiceStore:
    return build_store(ServiceDefinition(name="mgmt", metadata=metadata, handlers={}), settings)


def _envelope() -> Envelope:
    return Envelope(
        type="test.inbox",
        version=1,
        correlation_id="req-inbox",
        tenant_id="inbox-test",
        subject_id="s",
        producer="test",
        payload={},
    )


async def _scenario(store: ServiceStore) -> None:
    rolled_back, committed = _envelope(), _envelope()
    async with store.unit_of_work("req-inbox") as uow:
        await uow.record_processed(rolled_back)  # the first statement of its transaction
        assert await uow.was_processed(rolled_back)
    async with store.unit_of_work("req-inbox") as uow:
        assert not await uow.was_processed(rolled_back)
        await uow.record_processed(committed)
        await uow.commit()
    async with store.unit_of_work("req-inbox") as uow:
        assert await uow.was_processed(committed)
        try:
            await uow.record_processed(committed)
        except AlreadyProcessed:
            pass
        else:
            raise AssertionError("a second delivery was not refused")


async def _outbox_order(store: ServiceStore) -> list[str]:
    keys = [f"test.order_{n}" for n in range(7)]
    async with store.unit_of_work("req-outbox-order") as uow:
        for key in keys:
            await uow._add(
                message_id=uuid.uuid4(),
                exchange=NOTIFICATIONS,
                routing_key=key,
                message_type=key,
                body=b"{}",
            )
        await uow.commit()
    outbox = store.outbox
    mine = outbox.c.correlation_id == "req-outbox-order"
    async with store.engine.begin() as conn:
        rows = await conn.execute(select(outbox.c.routing_key).where(mine).order_by(outbox.c.id))
        found = [row.routing_key for row in rows]
        await conn.execute(delete(outbox).where(mine))  # no relay is to publish them later
    return found


def test_inbox_rows_follow_their_transaction(database: Settings) -> None:
    async def run() -> None:
        store = _store(database)
        try:
            await _scenario(store)
        finally:
            await store.engine.dispose()

    asyncio.run(run())


def test_outbox_rows_keep_the_order_they_were_queued_in(database: Settings) -> None:
    """Read straight from the table: no relay runs without the suite."""

    async def run() -> list[str]:
        store = _store(database)
        try:
            return await _outbox_order(store)
        finally:
            await store.engine.dispose()

    assert asyncio.run(run()) == [f"test.order_{n}" for n in range(7)]
