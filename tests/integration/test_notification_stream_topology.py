"""The notification stream is declared with the configured retention, receives what is
published on the admin exchange, and a stream declared earlier with other retention is kept
as it is (its history with it), with a warning naming the policy to use (real RabbitMQ)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest

from shared.config import Settings
from shared.messaging.topology import (
    NOTIFICATION_STREAM,
    NOTIFICATIONS,
    _declare_notification_stream,
    stream_arguments,
)


@pytest.fixture
async def channel(database: Settings) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(database.amqp_url)
    async with connection:
        yield await connection.channel()


async def _published_reaches_the_stream(channel: aio_pika.abc.AbstractChannel) -> bool:
    # Shaped like a notification: later readers of the suite's stream parse what they find.
    marker = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "event_type": "test.marker",
            "resource_id": str(uuid.uuid4()),
            "tenant_id": "stream-topology-test",
            "timestamp": datetime.now(UTC).isoformat(),
        }
    ).encode()
    exchange = await channel.declare_exchange(
        NOTIFICATIONS, aio_pika.ExchangeType.TOPIC, durable=True
    )
    await channel.set_qos(prefetch_count=50)
    stream = await channel.get_queue(NOTIFICATION_STREAM, ensure=True)
    async with stream.iterator(arguments={"x-stream-offset": "last"}, timeout=5) as messages:
        await exchange.publish(aio_pika.Message(marker), routing_key="any.event")
        try:
            async for message in messages:
                await message.ack()
                if message.body == marker:
                    return True
        except TimeoutError:
            return False
    return False


async def test_the_stream_keeps_what_the_admin_exchange_carries(
    channel: aio_pika.abc.AbstractChannel, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await _declare_notification_stream(channel, database)
        await _declare_notification_stream(channel, database)  # idempotent
    assert "exists with other arguments" not in caplog.text
    assert stream_arguments(database)["x-queue-type"] == "stream"
    assert await asyncio.wait_for(_published_reaches_the_stream(channel), 30)


async def test_a_stream_with_other_retention_is_kept_with_a_warning(
    channel: aio_pika.abc.AbstractChannel, database: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await _declare_notification_stream(channel, database)
    other = database.model_copy(update={"notification_stream_max_bytes": 12345})
    with caplog.at_level(logging.WARNING):
        await _declare_notification_stream(channel, other)
    assert "rabbitmqctl set_policy" in caplog.text
    assert await asyncio.wait_for(_published_reaches_the_stream(channel), 30)
