"""The inbox statements run on the driver connection, yet inside the unit of work's
transaction: what it rolls back is gone, what it commits stays."""

from __future__ import annotations

import asyncio

from servicevm_mgmt.adapters.orm import metadata
from shared.config import Settings
from shared.contracts.envelope import Envelope
from shared.db.uow import AlreadyProcessed
from shared.messaging.dispatch import ServiceStore
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


def test_inbox_rows_follow_their_transaction(database: Settings) -> None:
    async def run() -> None:
        store = _store(database)
        try:
            await _scenario(store)
        finally:
            await store.engine.dispose()

    asyncio.run(run())
