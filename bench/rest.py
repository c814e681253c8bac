"""Timing REST requests until the notification that says they are done, as a client would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aio_pika
import httpx

from shared.messaging.topology import NOTIFICATIONS

HEADERS = {"X-Project-Id": "bench", "X-Roles": "member"}

# Sends one request and returns the id of the resource it created.
PostOne = Callable[[httpx.AsyncClient], Awaitable[str]]


@dataclass
class Run:
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def time_until_notified(
    api_url: str | Sequence[str],
    amqp_url: str,
    *,
    routing_key: str,
    id_field: str,
    count: int,
    concurrency: int,
    setup: Callable[[httpx.AsyncClient], Awaitable[PostOne]],
) -> Run:
    """``setup`` prepares what the requests need and returns how to send one; then ``count``
    requests go out ``concurrency`` at a time, each timed until its ``routing_key``
    notification (whose ``id_field`` names the resource) arrives. Several api URLs (replicas)
    take the requests in turn."""
    urls = [api_url] if isinstance(api_url, str) else list(api_url)
    done_at: dict[str, float] = {}
    all_done = asyncio.Event()
    connection = await aio_pika.connect_robust(amqp_url)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(connection)
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=60)
            )
            for url in urls
        ]
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            NOTIFICATIONS, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=routing_key)

        async def on_done(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                done_at[json.loads(message.body)[id_field]] = time.perf_counter()
                if len(done_at) >= count:
                    all_done.set()

        await queue.consume(on_done)
        post = await setup(clients[0])
        turns = itertools.cycle(clients)
        posted_at: dict[str, float] = {}
        limit = asyncio.Semaphore(concurrency)

        async def post_one() -> None:
            async with limit:
                started = time.perf_counter()
                posted_at[await post(next(turns))] = started

        began = time.perf_counter()
        await asyncio.gather(*(post_one() for _ in range(count)))
        await asyncio.wait_for(all_done.wait(), timeout=600)
        elapsed = max(done_at.values()) - began
    return Run(count, elapsed, [done_at[i] - posted_at[i] for i in posted_at])
