"""The service queues are quorum queues with a delivery limit: a message requeued too often is
dead-lettered by the broker (and the operator sees why); an install's classic queue is
replaced when empty, kept with a warning when not (real RabbitMQ, the suite's vhost)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest

from shared.config import Settings
from shared.messaging import dead_letters
from shared.messaging.topology import DEAD_LETTER, QueueSpec, _declare_service_queue


class _TestQueue(QueueSpec):
    """A service queue's arguments under a name of the test's own."""

    def __init__(self, name: str, delivery_limit: int | None = None) -> None:
        super().__init__("lifecycle", (), ())
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_limit", delivery_limit)

    @property
    def name(self) -> str:
        return str(self._name)  # type: ignore[attr-defined]

    @property
    def arguments(self) -> dict[str, Any]:
        arguments = {**super().arguments, "x-dead-letter-routing-key": self.name}
        if self._limit is not None:  # type: ignore[attr-defined]
            arguments["x-delivery-limit"] = self._limit  # type: ignore[attr-defined]
        return arguments


@pytest.fixture
async def channel(database: Settings) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(database.amqp_url)
    async with connection:
        yield await connection.channel()


async def _is_quorum(channel: aio_pika.abc.AbstractChannel, spec: QueueSpec) -> bool:
    """Redeclaring with the quorum arguments only succeeds on a quorum queue."""
    try:
        await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    except aio_pika.exceptions.ChannelPreconditionFailed:
        await channel.reopen()
        return False
    return True


async def test_an_empty_classic_queue_is_replaced_by_a_quorum_queue(
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    spec = _TestQueue(f"test.migrate.{uuid.uuid4().hex[:8]}")
    await channel.declare_queue(spec.name, durable=True)
    try:
        await _declare_service_queue(channel, spec)
        assert await _is_quorum(channel, spec)
    finally:
        await channel.queue_delete(spec.name)


async def test_a_classic_queue_holding_messages_is_kept_with_a_warning(
    channel: aio_pika.abc.AbstractChannel, caplog: pytest.LogCaptureFixture
) -> None:
    spec = _TestQueue(f"test.migrate.{uuid.uuid4().hex[:8]}")
    await channel.declare_queue(spec.name, durable=True)
    await channel.default_exchange.publish(aio_pika.Message(b"waiting"), routing_key=spec.name)
    try:
        with caplog.at_level(logging.WARNING):
            await _declare_service_queue(channel, spec)
        assert f"rabbitmqctl delete_queue {spec.name}" in caplog.text
        assert not await _is_quorum(channel, spec)
        kept = await channel.declare_queue(spec.name, passive=True)
        assert kept.declaration_result.message_count == 1
    finally:
        await channel.queue_delete(spec.name)


async def test_a_message_requeued_past_the_delivery_limit_is_dead_lettered(
    database: Settings, channel: aio_pika.abc.AbstractChannel
) -> None:
    spec = _TestQueue(f"test.limit.{uuid.uuid4().hex[:8]}", delivery_limit=2)
    parked_name = f"{spec.name}.dead-letter"
    exchange = await channel.declare_exchange(
        DEAD_LETTER, aio_pika.ExchangeType.DIRECT, durable=True
    )
    parked = await channel.declare_queue(parked_name, durable=True)
    await parked.bind(exchange, routing_key=spec.name)
    queue = await _declare_service_queue(channel, spec)
    message_id = str(uuid.uuid4())
    await channel.default_exchange.publish(
        aio_pika.Message(b"{}", message_id=message_id), routing_key=spec.name
    )
    try:
        # A transient failure each time: requeued, until the broker gives up on it. (A
        # consumer, not basic.get: service queues have a single active consumer.)
        async with queue.iterator() as deliveries:
            for _ in range(3):
                message = await asyncio.wait_for(anext(deliveries), 5)
                await message.reject(requeue=True)
        left = await channel.declare_queue(spec.name, passive=True)
        assert left.declaration_result.message_count == 0
        found = await dead_letters.list_dead_letters(database.amqp_url, [parked_name])
        assert [(letter.message_id, letter.reason) for letter in found] == [
            (message_id, "dead-lettered by the broker: delivery_limit")
        ]
    finally:
        await channel.queue_delete(spec.name)
        await channel.queue_delete(parked_name)
