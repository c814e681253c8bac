"""A commit wakes its schema's relay at once: in memory when the relay runs in the committing
process, by a NOTIFY when it runs in another. The relay here polls once a minute, so a
message that arrives within seconds was woken for, not polled for."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
import uuid

import aio_pika
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.db.raw import OutboxSql
from shared.db.tables import inbox_table, outbox_table
from shared.db.uow import UnitOfWork
from shared.devstack import Suite
from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import NOTIFICATIONS

SCHEMA = "outbox_wakeup_test"
POLL_SECONDS = 60.0
# Far below the poll: only a wake-up gets a message there in time.
WOKEN_WITHIN = 20.0

# The other process: the same unit of work, against the same schema, no relay of its own.
COMMIT_ELSEWHERE = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import create_async_engine
    from shared.db.tables import inbox_table, outbox_table
    from shared.db.uow import UnitOfWork

    async def main(dsn, schema, event_type):
        metadata = MetaData(schema=schema)
        outbox, inbox = outbox_table(metadata), inbox_table(metadata)
        engine = create_async_engine(dsn)
        async with UnitOfWork(
            engine, outbox=outbox, inbox=inbox, producer="test", correlation_id="elsewhere"
        ) as uow:
            await uow.publish_notification(
                notification_id=uuid.uuid4(), tenant_id="wakeup", event_type=event_type,
                body=b"{}",
            )
            await uow.commit()
        await engine.dispose()

    asyncio.run(main(*sys.argv[1:]))
    """
)


def _dsn(suite: Suite) -> str:
    admin = suite.settings.db_admin_url.rsplit("/", 1)[0]
    return f"{admin.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{suite.settings.db_name}"


async def _tables(engine: AsyncEngine) -> MetaData:
    metadata = MetaData(schema=SCHEMA)
    outbox_table(metadata)
    inbox_table(metadata)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(metadata.create_all)
    return metadata


async def _commit_here(engine: AsyncEngine, metadata: MetaData, event_type: str) -> None:
    async with UnitOfWork(
        engine,
        outbox=metadata.tables[f"{SCHEMA}.outbox"],
        inbox=metadata.tables[f"{SCHEMA}.processed_messages"],
        producer="test",
        correlation_id="here",
    ) as uow:
        await uow.publish_notification(
            notification_id=uuid.uuid4(), tenant_id="wakeup", event_type=event_type, body=b"{}"
        )
        await uow.commit()


async def _write_on_its_own(engine: AsyncEngine, metadata: MetaData, event_type: str) -> None:
    """As the api writes a device and its command: rows from ``take_outbox`` in a statement
    that commits on its own, and no ``commit``."""
    outbox = metadata.tables[f"{SCHEMA}.outbox"]
    async with UnitOfWork(
        engine,
        outbox=outbox,
        inbox=metadata.tables[f"{SCHEMA}.processed_messages"],
        producer="test",
        correlation_id="statement",
    ) as uow:
        await uow.publish_notification(
            notification_id=uuid.uuid4(), tenant_id="wakeup", event_type=event_type, body=b"{}"
        )
        driver = await uow.driver_outside_transaction()
        await driver.execute(OutboxSql.of(outbox).insert, *uow.take_outbox())


async def _arrival(queue: aio_pika.abc.AbstractQueue, event_type: str, began: float) -> float:
    """Seconds from ``began`` until the message of ``event_type`` arrives."""
    try:
        async with queue.iterator(timeout=POLL_SECONDS / 2) as messages:
            async for message in messages:
                await message.ack()
                if message.routing_key == event_type:
                    return time.monotonic() - began
    except TimeoutError:
        pass
    raise AssertionError(f"{event_type} not published within {POLL_SECONDS / 2:.0f}s")


async def _scenario(suite: Suite) -> tuple[float, float, float, str]:
    dsn = _dsn(suite)
    engine = create_async_engine(dsn)
    metadata = await _tables(engine)
    relay = OutboxRelay(
        service=SCHEMA,
        engine=engine,
        outbox=metadata.tables[f"{SCHEMA}.outbox"],
        amqp_url=suite.settings.amqp_url,
        poll_seconds=POLL_SECONDS,
    )
    connection = await aio_pika.connect(suite.settings.amqp_url)
    relay_task = asyncio.create_task(relay.run())
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(NOTIFICATIONS, routing_key="test.wakeup.*")
        # The relay's first round takes whatever is there, woken or not.
        await _commit_here(engine, metadata, "test.wakeup.first")
        await _arrival(queue, "test.wakeup.first", time.monotonic())

        began = time.monotonic()
        await _commit_here(engine, metadata, "test.wakeup.here")
        here = await _arrival(queue, "test.wakeup.here", began)

        began = time.monotonic()
        await _write_on_its_own(engine, metadata, "test.wakeup.statement")
        statement = await _arrival(queue, "test.wakeup.statement", began)

        began = time.monotonic()
        other = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            COMMIT_ELSEWHERE,
            dsn,
            SCHEMA,
            "test.wakeup.elsewhere",
            env={**os.environ},
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            elsewhere = await _arrival(queue, "test.wakeup.elsewhere", began)
            _, errors = await asyncio.wait_for(other.communicate(), WOKEN_WITHIN)
        finally:
            if other.returncode is None:
                other.kill()
                await other.wait()
        return here, statement, elsewhere, errors.decode()
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await connection.close()
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await engine.dispose()


def test_a_commit_wakes_the_relay_here_in_memory_and_from_another_process_by_notify(
    suite: Suite,
) -> None:
    here, statement, elsewhere, errors = asyncio.run(_scenario(suite))
    assert errors == "", errors
    assert here < WOKEN_WITHIN, f"a commit beside the relay waited {here:.1f}s"
    assert statement < WOKEN_WITHIN, f"rows written on their own waited {statement:.1f}s"
    assert elsewhere < WOKEN_WITHIN, f"a commit in another process waited {elsewhere:.1f}s"
