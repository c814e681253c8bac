"""A unit of work's connection (shared/db/pooled.py): checked out without SQLAlchemy's engine
machinery, yet what it commits is kept, what it leaves uncommitted is undone, whichever way
its statements ran (raw asyncpg, SQLAlchemy Core, both), and a connection that died under it
is never handed to the next unit of work."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from servicevm_scheduler.adapters.orm import devices, outbox
from servicevm_scheduler.adapters.orm import processed_messages as inbox
from servicevm_scheduler.bootstrap import DEFINITION
from shared.config import Settings
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import ServiceStore
from shared.messaging.errors import is_transient
from shared.runtime import build_store

_RAW_INSERT = (
    "INSERT INTO scheduler.devices (id, tenant_id, template_id, status, slot_capacity, revision) "
    "VALUES ($1, 'pooled', $2, 'ACTIVE', 4, 1)"
)


async def _raw_insert(uow: UnitOfWork, device_id: uuid.UUID) -> None:
    await (await uow.driver()).execute(_RAW_INSERT, device_id, uuid.uuid4())


async def _core_insert(uow: UnitOfWork, device_id: uuid.UUID) -> None:
    await uow.conn.execute(
        insert(devices).values(
            id=device_id,
            tenant_id="pooled",
            template_id=uuid.uuid4(),
            status="ACTIVE",
            slot_capacity=4,
            revision=1,
        )
    )


async def _stored(store: ServiceStore, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    async with store.unit_of_work("pooled-read") as uow:
        rows = await uow.conn.execute(select(devices.c.id).where(devices.c.id.in_(ids)))
        return {row.id for row in rows}


Write = Callable[[UnitOfWork, uuid.UUID], Awaitable[None]]

# Each way a transaction's statements may run, in the order they run.
WAYS: dict[str, list[Write]] = {
    "raw": [_raw_insert, _raw_insert],
    "core": [_core_insert, _core_insert],
    "raw then core": [_raw_insert, _core_insert],
    "core then raw": [_core_insert, _raw_insert],
}


@pytest.mark.parametrize("way", WAYS)
def test_what_a_unit_commits_is_kept_and_what_it_leaves_is_undone(
    database: Settings, way: str
) -> None:
    async def run() -> None:
        store = build_store(DEFINITION, database)
        kept, left = [uuid.uuid4(), uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()]
        try:
            async with store.unit_of_work("pooled-commit") as uow:
                for write, device_id in zip(WAYS[way], kept, strict=True):
                    await write(uow, device_id)
                await uow.commit()
            async with store.unit_of_work("pooled-leave") as uow:
                for write, device_id in zip(WAYS[way], left, strict=True):
                    await write(uow, device_id)
            with pytest.raises(RuntimeError):
                async with store.unit_of_work("pooled-raise") as uow:
                    await WAYS[way][0](uow, left[0])
                    raise RuntimeError("the handler failed")
            assert await _stored(store, kept + left) == set(kept)
            # Every connection went back to the pool with nothing open on it.
            assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        finally:
            await store.engine.dispose()

    asyncio.run(run())


def test_a_statement_after_commit_is_a_transaction_of_its_own(database: Settings) -> None:
    async def run() -> None:
        store = build_store(DEFINITION, database)
        first, then = uuid.uuid4(), uuid.uuid4()
        try:
            async with store.unit_of_work("pooled-twice") as uow:
                await _raw_insert(uow, first)
                await uow.commit()
                await _raw_insert(uow, then)  # not committed: undone at the block's end
            assert await _stored(store, [first, then]) == {first}
        finally:
            await store.engine.dispose()

    asyncio.run(run())


@pytest.mark.parametrize("way", ["raw", "core"])
def test_a_connection_killed_under_a_unit_is_discarded_and_the_next_unit_works(
    database: Settings, way: str
) -> None:
    """The server ends the backend mid-transaction: the unit fails with an error the
    consumers retry, and the pool does not hand that dead connection out again."""

    async def run() -> None:
        store = build_store(DEFINITION, database)
        admin = await asyncpg.connect(
            database.db_admin_url.rsplit("/", 1)[0] + "/" + database.db_name
        )
        lost, later = uuid.uuid4(), uuid.uuid4()
        try:
            with pytest.raises(Exception) as failure:  # asyncpg's or SQLAlchemy's
                async with store.unit_of_work("pooled-killed") as uow:
                    await WAYS[way][0](uow, lost)
                    backend = await (await uow.driver()).fetchval("SELECT pg_backend_pid()")
                    await admin.execute("SELECT pg_terminate_backend($1)", backend)
                    await WAYS[way][1](uow, uuid.uuid4())
                    await uow.commit()
            assert is_transient(failure.value), failure.value
            # One connection in the pool: the next unit gets a new one, not the dead one.
            async with store.unit_of_work("pooled-after") as uow:
                assert await (await uow.driver()).fetchval("SELECT pg_backend_pid()") != backend
                await _raw_insert(uow, later)
                await uow.commit()
            assert await _stored(store, [lost, later]) == {later}
        finally:
            await admin.close()
            await store.engine.dispose()

    asyncio.run(run())


def test_a_database_out_of_reach_is_an_error_the_consumers_retry() -> None:
    async def run() -> None:
        engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
        try:
            with pytest.raises(Exception) as failure:  # refused: the OSError itself
                async with UnitOfWork(
                    engine,
                    outbox=outbox,
                    inbox=inbox,
                    producer="scheduler",
                    correlation_id="pooled-unreachable",
                ):
                    pass
            assert is_transient(failure.value)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _engine_like(store: ServiceStore, *, pool_size: int, max_overflow: int) -> AsyncEngine:
    return create_async_engine(
        store.engine.url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"server_settings": {"search_path": "scheduler"}},
    )


def _unit(engine: AsyncEngine, store: ServiceStore) -> UnitOfWork:
    return UnitOfWork(
        engine,
        outbox=store.outbox,
        inbox=store.inbox,
        producer="scheduler",
        correlation_id="pooled",
    )


@pytest.mark.parametrize("second_cancel_after", [0.0, 0.0005, 0.002])
def test_a_unit_cancelled_twice_leaves_no_transaction_open_for_the_next(
    database: Settings, second_cancel_after: float
) -> None:
    """A cancelled statement makes asyncpg cancel it on the server, and the unit's ROLLBACK
    waits for that; a second cancellation then may keep the ROLLBACK from being sent. The
    one connection of the pool must not come back in a transaction (every later unit on it
    would fail)."""

    async def run() -> None:
        store = build_store(DEFINITION, database)
        engine = _engine_like(store, pool_size=1, max_overflow=0)
        admin = await asyncpg.connect(
            database.db_admin_url.rsplit("/", 1)[0] + "/" + database.db_name
        )
        backends: list[int] = []
        try:

            async def sleeper() -> None:
                async with _unit(engine, store) as uow:
                    driver = await uow.driver()
                    backends.append(await driver.fetchval("SELECT pg_backend_pid()"))
                    await driver.execute("SELECT pg_sleep(5)")

            task = asyncio.create_task(sleeper())
            await asyncio.sleep(0.3)
            task.cancel()
            await asyncio.sleep(second_cancel_after)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            states = await admin.fetch(
                "SELECT state FROM pg_stat_activity WHERE pid = $1", backends[0]
            )
            assert [row["state"] for row in states] in ([], ["idle"])
            for _ in range(2):
                async with _unit(engine, store) as uow:
                    assert await (await uow.driver()).fetchval("SELECT 1") == 1
                    await uow.commit()
        finally:
            await admin.close()
            await engine.dispose()
            await store.engine.dispose()

    asyncio.run(run())


def test_an_overflow_connection_is_closed_at_checkin_without_error(
    database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A pool that closes connections at checkin (its overflow) awaits the driver to close
    them: that checkin takes SQLAlchemy's path, and the connection is really closed."""

    async def run() -> None:
        store = build_store(DEFINITION, database)
        engine = _engine_like(store, pool_size=1, max_overflow=1)
        admin = await asyncpg.connect(
            database.db_admin_url.rsplit("/", 1)[0] + "/" + database.db_name
        )
        both_open = asyncio.Barrier(2)
        try:

            async def one() -> int:
                async with _unit(engine, store) as uow:
                    backend: int = await (await uow.driver()).fetchval("SELECT pg_backend_pid()")
                    await uow.commit()
                    await both_open.wait()
                return backend

            backends = await asyncio.gather(one(), one())
            assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
            deadline = asyncio.get_running_loop().time() + 5
            while True:
                alive = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", backends
                )
                if alive == 1:
                    break
                assert asyncio.get_running_loop().time() < deadline, "overflow never closed"
                await asyncio.sleep(0.05)
        finally:
            await admin.close()
            await engine.dispose()
            await store.engine.dispose()

    with caplog.at_level(logging.ERROR, logger="sqlalchemy"):
        asyncio.run(run())
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy")], caplog.text
