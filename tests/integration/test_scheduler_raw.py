"""The scheduler's raw statements run on the asyncpg connection under a pooled one: found
once per database connection, yet always inside the transaction of the unit of work that
checked it out."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from servicevm_scheduler.adapters.raw import Raw
from servicevm_scheduler.bootstrap import DEFINITION
from shared.config import Settings
from shared.db.raw import Driver
from shared.runtime import build_store

_INSERT = (
    "INSERT INTO scheduler.devices (id, tenant_id, template_id, status, slot_capacity, revision) "
    "VALUES ($1, 'owner', $2, 'ACTIVE', 4, 1)"
)


async def _insert_then_roll_back(engine: AsyncEngine, device_id: uuid.UUID) -> Driver:
    """A device inserted by a raw statement in a transaction rolled back; the Driver used."""
    async with engine.connect() as conn, conn.begin() as transaction:
        driver = await Raw(conn)()
        await driver.execute(_INSERT, device_id, uuid.uuid4())
        await transaction.rollback()
        return await Driver.under(conn)


async def _count(engine: AsyncEngine, device_ids: list[uuid.UUID]) -> int:
    async with engine.connect() as conn:
        driver = await Raw(conn)()
        count: int = await driver.fetchval(
            "SELECT count(*) FROM scheduler.devices WHERE id = ANY($1::uuid[])", device_ids
        )
        return count


def test_the_driver_is_kept_per_connection_and_begins_each_transaction(
    database: Settings,
) -> None:
    async def run() -> None:
        engine = build_store(DEFINITION, database).engine
        try:
            ids = [uuid.uuid4() for _ in range(3)]
            first = await _insert_then_roll_back(engine, ids[0])
            # The same pooled connection again: the same Driver, a new transaction.
            assert await _insert_then_roll_back(engine, ids[1]) is first
            async with engine.connect() as conn:
                await conn.invalidate()
            # A new database connection: a new Driver.
            assert await _insert_then_roll_back(engine, ids[2]) is not first
            assert await _count(engine, ids) == 0
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_a_first_read_runs_on_its_own_and_a_later_one_in_the_transaction(
    database: Settings,
) -> None:
    """``Raw.first_read`` (a device's look for waiting instances): no BEGIN when it is the
    unit's first statement, inside the transaction once something began it."""

    async def run() -> None:
        engine = build_store(DEFINITION, database).engine
        device_id = uuid.uuid4()
        count = "SELECT count(*) FROM scheduler.devices WHERE id = $1"
        try:
            async with engine.connect() as conn, conn.begin() as transaction:
                raw = Raw(conn)
                assert await (await raw.first_read()).fetchval(count, device_id) == 0
                assert not (await Driver.under(conn)).began
                await (await raw()).execute(_INSERT, device_id, uuid.uuid4())
                # In the transaction now: it sees the insert not yet committed.
                assert await (await raw.first_read()).fetchval(count, device_id) == 1
                await transaction.rollback()
            assert await _count(engine, [device_id]) == 0
        finally:
            await engine.dispose()

    asyncio.run(run())
