"""mgmt's LISTEN connection: a committed subscription change empties the presence cache,
committed deliveries wake the deliverer, and the cache is trusted only while listening."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from servicevm_mgmt.bootstrap import DEFINITION
from servicevm_mgmt.jobs.listener import listen
from servicevm_mgmt.subscriptions.presence import PRESENCE, SUBSCRIPTIONS_CHANNEL
from servicevm_mgmt.subscriptions.repository import DELIVERIES_CHANNEL
from shared.config import Settings
from shared.runtime import build_store


async def _eventually(condition: object, what: str) -> None:
    for _ in range(100):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


def test_notifications_reach_the_listener(database: Settings) -> None:
    async def run() -> None:
        store = build_store(DEFINITION, database)
        woken = asyncio.Event()
        task = asyncio.create_task(listen(store, on_deliveries=woken.set))
        try:
            await _eventually(lambda: PRESENCE.is_listening, "listening")
            woken.clear()
            async with store.engine.begin() as conn:
                await conn.execute(select(func.pg_notify(DELIVERIES_CHANNEL, "")))
            await asyncio.wait_for(woken.wait(), 5)
            generation = PRESENCE._generation
            async with store.engine.begin() as conn:
                await conn.execute(select(func.pg_notify(SUBSCRIPTIONS_CHANNEL, "")))
            await _eventually(lambda: PRESENCE._generation > generation, "cache emptied")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await store.engine.dispose()
        assert not PRESENCE.is_listening

    asyncio.run(run())
