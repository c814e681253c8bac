"""A commit wakes its schema's relay at once: in memory when the relay runs in the committing
process, by a NOTIFY when it runs in another. The relay here polls once a minute, so a
message that arrives within seconds was woken for, not polled for. The first tests watch
the NOTIFYs themselves on a LISTEN connection."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import asyncpg
import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.config import Settings
from shared.db.raw import OutboxSql
from shared.db.relay_wakeup import relay_here, wake_relay
from shared.db.tables import inbox_table, outbox_channel, outbox_table
from shared.db.uow import UnitOfWork
from shared.devstack import Suite
from shared.messaging.batching import BatchUnitOfWork
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
        # Up a moment longer, as a service is: the NOTIFY goes after the commit (a process
        # that exits at once leaves the wake-up to the relay's poll).
        await asyncio.sleep(1.0)
        await engine.dispose()

    asyncio.run(main(*sys.argv[1:]))
    """
)


def _dsn(settings: Settings, *, driver: str = "postgresql+asyncpg") -> str:
    admin = settings.db_admin_url.rsplit("/", 1)[0]
    return f"{admin.replace('postgresql', driver, 1)}/{settings.db_name}"


async def _notifies(
    settings: Settings,
    commits: Callable[[AsyncEngine], Awaitable[None]],
    *,
    relay_here_too: bool = False,
) -> tuple[int, int]:
    """(NOTIFYs on the schema's channel, in-memory wake-ups) after ``commits`` announced
    their rows, with this process's relay for the schema running here or not."""
    listener = await asyncpg.connect(_dsn(settings, driver="postgresql"))
    seen: list[object] = []
    await listener.add_listener(outbox_channel(SCHEMA), lambda *args: seen.append(args))
    engine = create_async_engine(_dsn(settings))
    woken: list[str] = []
    try:
        if relay_here_too:
            with relay_here(engine, SCHEMA, lambda: woken.append("here")):
                await commits(engine)
        else:
            await commits(engine)
        await asyncio.sleep(1.0)  # what was sent has arrived
    finally:
        await listener.close()
        await engine.dispose()
    return len(seen), len(woken)


async def _one(engine: AsyncEngine) -> None:
    wake_relay(engine, SCHEMA)


async def _burst_while_one_is_on_its_way(engine: AsyncEngine) -> None:
    wake_relay(engine, SCHEMA)
    await asyncio.sleep(0)  # the NOTIFY's task starts: it waits for its connection
    for _ in range(50):
        wake_relay(engine, SCHEMA)


def test_a_commit_beside_the_relay_wakes_it_in_memory_without_a_notify(
    database: Settings,
) -> None:
    assert asyncio.run(_notifies(database, _one, relay_here_too=True)) == (0, 1)


def test_a_commit_without_the_relay_here_sends_a_notify_on_the_schema_channel(
    database: Settings,
) -> None:
    assert asyncio.run(_notifies(database, _one)) == (1, 0)


def test_commits_made_while_a_notify_is_on_its_way_share_the_next_one(
    database: Settings,
) -> None:
    """Neither one NOTIFY per commit nor a wake-up lost: one, then one more for the 50."""
    assert asyncio.run(_notifies(database, _burst_while_one_is_on_its_way)) == (2, 0)


def test_a_notify_that_cannot_be_sent_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The commit stands; the relay's poll finds the rows."""

    async def nowhere() -> None:
        engine = create_async_engine("postgresql+asyncpg://u@127.0.0.1:1/servicevm")
        wake_relay(engine, SCHEMA)
        await asyncio.sleep(0.5)
        await engine.dispose()

    with caplog.at_level(logging.WARNING, logger="shared.db.relay_wakeup"):
        asyncio.run(nowhere())
    assert [r.message for r in caplog.records] == [
        "could not wake the outbox relay; it polls for the rows"
    ]


async def _tables(engine: AsyncEngine) -> MetaData:
    metadata = MetaData(schema=SCHEMA)
    outbox_table(metadata)
    inbox_table(metadata)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(metadata.create_all)
    return metadata


async def _announce(engine: AsyncEngine, metadata: MetaData, how: str) -> None:
    """One notification written to the outbox the way ``how`` names:

    - ``commit``: queued, then ``UnitOfWork.commit`` (most units of work);
    - ``statement``: rows from ``take_outbox`` in a statement that commits on its own, and
      no ``commit`` (the api's device POST);
    - ``batch``: a consumer batch's last statement (``BatchUnitOfWork.commit_batch``).
    """
    outbox = metadata.tables[f"{SCHEMA}.outbox"]
    unit = BatchUnitOfWork if how == "batch" else UnitOfWork
    async with unit(
        engine,
        outbox=outbox,
        inbox=metadata.tables[f"{SCHEMA}.processed_messages"],
        producer="test",
        correlation_id=how,
    ) as uow:
        await uow.publish_notification(
            notification_id=uuid.uuid4(),
            tenant_id="wakeup",
            event_type=f"test.wakeup.{how}",
            body=b"{}",
        )
        if isinstance(uow, BatchUnitOfWork):
            await uow.commit_batch()
        elif how == "statement":
            driver = await uow.driver_outside_transaction()
            await driver.execute(OutboxSql.of(outbox).insert, *uow.take_outbox())
        else:
            await uow.commit()


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


@dataclass
class _Seen:
    # Seconds from each write until its message was published, by the write's name.
    published_after: dict[str, float]
    # NOTIFYs on the schema's channel while only this process (the relay's) wrote.
    notifies_from_here: int
    # NOTIFYs once another process wrote too.
    notifies_in_all: int
    errors_elsewhere: str


def _relay(suite: Suite, engine: AsyncEngine, metadata: MetaData) -> OutboxRelay:
    return OutboxRelay(
        service=SCHEMA,
        engine=engine,
        outbox=metadata.tables[f"{SCHEMA}.outbox"],
        amqp_url=suite.settings.amqp_url,
        poll_seconds=POLL_SECONDS,
    )


async def _scenario(suite: Suite) -> _Seen:
    dsn = _dsn(suite.settings)
    engine = create_async_engine(dsn)
    metadata = await _tables(engine)
    connection = await aio_pika.connect(suite.settings.amqp_url)
    listener = await asyncpg.connect(_dsn(suite.settings, driver="postgresql"))
    notified: list[object] = []
    relays = [asyncio.create_task(_relay(suite, engine, metadata).run())]
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(NOTIFICATIONS, routing_key="test.wakeup.*")
        # The relay's first round takes whatever is there, woken or not: once published,
        # the relay holds the lock. A second relay here stands by (it must not take the
        # wake-ups of this process's commits).
        await _announce(engine, metadata, "commit")
        await _arrival(queue, "test.wakeup.commit", time.monotonic())
        relays.append(asyncio.create_task(_relay(suite, engine, metadata).run()))
        await listener.add_listener(outbox_channel(SCHEMA), lambda *args: notified.append(args))

        published_after: dict[str, float] = {}
        for how in ("commit", "statement", "batch"):
            began = time.monotonic()
            await _announce(engine, metadata, how)
            published_after[how] = await _arrival(queue, f"test.wakeup.{how}", began)
        await asyncio.sleep(0.5)  # a NOTIFY sent would have arrived
        notifies_from_here = len(notified)

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
            published_after["elsewhere"] = await _arrival(queue, "test.wakeup.elsewhere", began)
            _, errors = await asyncio.wait_for(other.communicate(), WOKEN_WITHIN)
        finally:
            if other.returncode is None:
                other.kill()
                await other.wait()
        return _Seen(published_after, notifies_from_here, len(notified), errors.decode())
    finally:
        for relay in relays:
            relay.cancel()
        await asyncio.gather(*relays, return_exceptions=True)
        await listener.close()
        await connection.close()
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await engine.dispose()


def test_a_write_wakes_the_relay_here_in_memory_and_from_another_process_by_notify(
    suite: Suite,
) -> None:
    seen = asyncio.run(_scenario(suite))
    assert seen.errors_elsewhere == "", seen.errors_elsewhere
    late = {name: round(s, 1) for name, s in seen.published_after.items() if s >= WOKEN_WITHIN}
    assert not late, f"published only after (s): {late}"
    assert seen.notifies_from_here == 0
    assert seen.notifies_in_all == 1
