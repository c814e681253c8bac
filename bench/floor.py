"""The floor of this machine for the create → ACTIVE path, with no framework.

The suite's path is: the api commits and publishes a command, then four hops, each a
consumer that commits one transaction in Postgres and publishes a persistent message with a
publisher confirm (lifecycle → mgmt → lifecycle → api). The floor does exactly that with raw
asyncpg and aio-pika: an injector commits and publishes, then four stages each consume one
message at a time (like the services), commit one INSERT, publish to the next queue with a
confirm and acknowledge. The stages run as asyncio tasks in this one process, which spares
them the services' inter-process hops: the floor is meant to be hard to reach.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import aio_pika
import asyncpg

STAGES = 4
SCHEMA = "bench_floor"


@dataclass
class FloorResult:
    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)


async def run_floor(*, dsn: str, amqp_url: str, count: int, concurrency: int) -> FloorResult:
    pool = await asyncpg.create_pool(dsn, min_size=STAGES + 1, max_size=STAGES + concurrency)
    await _prepare_table(pool)
    connection = await aio_pika.connect_robust(amqp_url)
    started_at: dict[str, float] = {}
    finished_at: dict[str, float] = {}
    done = asyncio.Event()
    queues = [f"bench.floor.{uuid.uuid4().hex[:6]}.{i}" for i in range(STAGES + 1)]
    try:
        channel = await connection.channel(publisher_confirms=True)
        for name in queues:
            await channel.declare_queue(name, durable=True, auto_delete=False)
        stages = [
            asyncio.create_task(_stage(connection, pool, queues[i], queues[i + 1]))
            for i in range(STAGES)
        ]
        sink = asyncio.create_task(_sink(connection, queues[STAGES], finished_at, count, done))
        began = time.perf_counter()
        await _inject(channel, pool, queues[0], count, concurrency, started_at)
        await asyncio.wait_for(done.wait(), timeout=300)
        elapsed = time.perf_counter() - began
        for task in [*stages, sink]:
            task.cancel()
        await asyncio.gather(*stages, sink, return_exceptions=True)
        for name in queues:
            await channel.queue_delete(name)
    finally:
        await connection.close()
        await pool.close()
    latencies = [finished_at[key] - started_at[key] for key in finished_at]
    return FloorResult(count=count, seconds=elapsed, latencies=latencies)


async def _prepare_table(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.hops (id bigserial PRIMARY KEY, message text, stage int)"
        )
        await conn.execute(f"TRUNCATE {SCHEMA}.hops")


async def _commit(pool: asyncpg.Pool, message: str, stage: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f"INSERT INTO {SCHEMA}.hops (message, stage) VALUES ($1, $2)", message, stage
        )


async def _publish(channel: aio_pika.abc.AbstractChannel, queue: str, body: bytes) -> None:
    message = aio_pika.Message(body=body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    await channel.default_exchange.publish(message, routing_key=queue)


async def _inject(
    channel: aio_pika.abc.AbstractChannel,
    pool: asyncpg.Pool,
    queue: str,
    count: int,
    concurrency: int,
    started_at: dict[str, float],
) -> None:
    """Like the api: commit the request, publish its command; `concurrency` at a time."""
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            key = str(i)
            started_at[key] = time.perf_counter()
            await _commit(pool, key, 0)
            await _publish(channel, queue, key.encode())

    await asyncio.gather(*(one(i) for i in range(count)))


async def _stage(
    connection: aio_pika.abc.AbstractConnection, pool: asyncpg.Pool, source: str, target: str
) -> None:
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=20)
    queue = await channel.get_queue(source)
    async with queue.iterator() as messages:
        async for message in messages:  # one at a time, like a service's consumer
            await _commit(pool, message.body.decode(), 1)
            await _publish(channel, target, message.body)
            await message.ack()


async def _sink(
    connection: aio_pika.abc.AbstractConnection,
    source: str,
    finished_at: dict[str, float],
    count: int,
    done: asyncio.Event,
) -> None:
    channel = await connection.channel()
    queue = await channel.get_queue(source)
    async with queue.iterator() as messages:
        async for message in messages:
            finished_at[message.body.decode()] = time.perf_counter()
            await message.ack()
            if len(finished_at) >= count:
                done.set()
