"""Faults on the bus: every command and event delivered twice, and poison messages.

The duplicate tap is a queue bound to every key of the commands and events exchanges; each
message it receives is published again, unchanged (same body, same message id), on the
exchange it came from, marked so that the tap lets its own copy pass. Every consumer thus
gets each message twice, as after a redelivery.
"""

from __future__ import annotations

import asyncio
import uuid

import aio_pika

from shared.config import SERVICES
from shared.contracts.envelope import Envelope
from shared.messaging.topology import COMMANDS, EVENTS, QUEUES

TAP_QUEUE = "chaos.duplicates"
COPY_HEADER = "x-chaos-copy"


class DuplicateTap:
    def __init__(self, amqp_url: str) -> None:
        self._amqp_url = amqp_url
        self.copied = 0

    async def run(self) -> None:
        """Until cancelled; the tap queue goes with it (nothing piles up after the phase)."""
        connection = await aio_pika.connect(self._amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            queue = await channel.declare_queue(TAP_QUEUE, auto_delete=True)
            for name in (COMMANDS, EVENTS):
                await queue.bind(name, "#")
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        if COPY_HEADER not in (message.headers or {}):
                            await self._copy(channel, message)
        finally:
            await asyncio.shield(connection.close())

    async def _copy(
        self, channel: aio_pika.abc.AbstractChannel, message: aio_pika.abc.AbstractIncomingMessage
    ) -> None:
        exchange = await channel.get_exchange(message.exchange or COMMANDS, ensure=False)
        copy = aio_pika.Message(
            message.body,
            headers={**(message.headers or {}), COPY_HEADER: 1},
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type,
            timestamp=message.timestamp,
            app_id=message.app_id,
        )
        await exchange.publish(copy, routing_key=message.routing_key or "")
        self.copied += 1


def poison_messages() -> list[tuple[str, bytes]]:
    """(routing key, body) for each service: a non-JSON body, and a well-formed envelope
    of a type nobody handles."""
    poison = []
    for service in SERVICES:
        key = f"{service}.chaos.poison"
        unknown = Envelope(
            type=key, version=1, correlation_id=f"req-{uuid.uuid4()}", tenant_id="chaos",
            subject_id=str(uuid.uuid4()), producer="chaos", payload={},
        )  # fmt: skip
        poison += [(key, b"\x00not json{"), (key, unknown.model_dump_json().encode())]
    return poison


async def inject_poison(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(COMMANDS, ensure=False)
        sent = poison_messages()
        for key, body in sent:
            await exchange.publish(
                aio_pika.Message(
                    body, content_type="application/json", message_id=str(uuid.uuid4())
                ),
                routing_key=key,
            )
        return len(sent)


async def dead_lettered(amqp_url: str) -> int:
    """Messages waiting in the services' dead-letter queues."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        total = 0
        for service in SERVICES:
            queue = await channel.declare_queue(QUEUES[service].dead_letter_name, passive=True)
            total += queue.declaration_result.message_count or 0
        return total
