"""Acknowledging with ``multiple`` on a real broker: the settled messages are gone, the one
still being handled when the channel closed comes back, and so does a requeued one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import aiormq
import pytest
from aiormq.abc import DeliveredMessage

from shared.config import Settings
from shared.messaging.acknowledging import Acknowledger


@pytest.fixture
async def queue(database: Settings) -> AsyncIterator[tuple[aio_pika.abc.AbstractConnection, str]]:
    """A queue of the test's own holding messages b"1" to b"5", in that order."""
    connection = await aio_pika.connect(database.amqp_url)
    name = f"test-acks-{uuid.uuid4().hex[:8]}"
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, auto_delete=False)
        for body in (b"1", b"2", b"3", b"4", b"5"):
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=name)
        try:
            yield connection, name
        finally:
            await channel.queue_delete(name)


async def _deliveries(
    channel: aiormq.abc.AbstractChannel, queue: str, count: int
) -> list[DeliveredMessage]:
    received: list[DeliveredMessage] = []
    all_in = asyncio.Event()

    async def on_delivery(message: DeliveredMessage) -> None:
        received.append(message)
        if len(received) == count:
            all_in.set()

    await channel.basic_qos(prefetch_count=count)
    await channel.basic_consume(queue, on_delivery)
    await asyncio.wait_for(all_in.wait(), 10)
    return received


async def _left_in(connection: aio_pika.abc.AbstractConnection, queue: str) -> list[bytes]:
    channel = await connection.channel()
    declared = await channel.get_queue(queue)
    left: list[bytes] = []
    while (message := await declared.get(fail=False, no_ack=True)) is not None:
        left.append(message.body)
    await channel.close()
    return left


async def test_only_the_settled_messages_are_gone_when_the_channel_closes(
    queue: tuple[aio_pika.abc.AbstractConnection, str],
) -> None:
    connection, name = queue
    channel = await (await connection.channel()).get_underlay_channel()
    received = await _deliveries(channel, name, 5)
    acks = Acknowledger(channel)
    for message in received:
        acks.delivered(message.delivery_tag or 0)
    tag = {message.body: message.delivery_tag or 0 for message in received}

    await acks.reject(tag[b"2"], requeue=True)  # a transient failure: back in the queue
    for body in (b"1", b"3", b"5"):  # b"4" is still being handled
        acks.ack(tag[body])
    await acks.flushed()
    await channel.close()

    assert sorted(await _left_in(connection, name)) == [b"2", b"4"]
