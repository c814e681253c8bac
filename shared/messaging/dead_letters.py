"""The operator's view of the dead-letter queues: list, show and replay parked messages.

Messages are browsed with ``basic.get`` without acknowledging: what is only looked at, or
not chosen for a replay, is rejected with ``requeue`` when done (a classic queue puts it
back in its place), so browsing never loses a message. A replayed message is republished
to the exchange and routing key it first came by (publisher-confirmed, mandatory), without
the dead-lettering headers, and only then acknowledged, i.e. removed from the queue.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.config import SERVICES
from shared.messaging.parking import (
    FIRST_DEATH,
    ORIGINAL_EXCHANGE,
    ORIGINAL_ROUTING_KEY,
    PARKED_AT,
    REASON,
    SERVICE,
    SERVICEVM_HEADERS,
)
from shared.messaging.topology import QUEUES

# What the broker adds when it dead-letters or redelivers; a replay starts afresh.
_BROKER_HEADERS = ("x-death", "x-delivery-count", *FIRST_DEATH)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    service: str
    message_id: str | None
    message_type: str | None
    reason: str
    parked_at: datetime | None
    exchange: str
    routing_key: str
    headers: dict[str, Any]
    body: bytes

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "type": self.message_type,
            "reason": self.reason,
            "service": self.service,
            "time": self.parked_at.isoformat() if self.parked_at else None,
        }

    def detail(self) -> dict[str, Any]:
        body: Any
        try:
            body = json.loads(self.body)
        except ValueError:
            body = self.body.decode("utf-8", errors="replace")
        return {
            **self.summary(),
            "queue": self.queue,
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "headers": {name: _plain(value) for name, value in self.headers.items()},
            "body": body,
        }


def dead_letter_queues(services: Iterable[str] | None = None) -> list[str]:
    chosen = list(services) if services else list(SERVICES)
    return [QUEUES[service].dead_letter_name for service in chosen]  # type: ignore[index]


async def list_dead_letters(amqp_url: str, queues: list[str]) -> list[DeadLetter]:
    async with _browsing(amqp_url) as browser:
        channel = browser.channel
        return [
            _read(queue, message) for queue in queues for message in await _take_all(channel, queue)
        ]


async def replay(
    amqp_url: str, queues: list[str], chosen: Callable[[DeadLetter], bool]
) -> list[DeadLetter]:
    """Republish the chosen messages where they first came from; return those replayed."""
    replayed: list[DeadLetter] = []
    async with _browsing(amqp_url) as browser:
        channel = browser.channel
        publisher = await browser.connection.channel(publisher_confirms=True, on_return_raises=True)
        for queue in queues:
            for message in await _take_all(channel, queue):
                letter = _read(queue, message)
                if not chosen(letter):
                    continue
                await _republish(publisher, message, letter)
                await message.ack()
                replayed.append(letter)
    return replayed


@asynccontextmanager
async def _browsing(amqp_url: str) -> AsyncIterator[_Browser]:
    # Closing the connection returns every message it got and did not acknowledge to its
    # queue: that is the requeue of what was only looked at, even on an error.
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        yield _Browser(connection, await connection.channel())


@dataclass(frozen=True)
class _Browser:
    connection: aio_pika.abc.AbstractConnection
    channel: AbstractChannel


async def _take_all(channel: AbstractChannel, queue_name: str) -> list[AbstractIncomingMessage]:
    """Every message the queue held when asked, unacknowledged (so no get sees one twice)."""
    queue = await channel.get_queue(queue_name, ensure=True)
    count = (await channel.declare_queue(queue_name, passive=True)).declaration_result.message_count
    taken: list[AbstractIncomingMessage] = []
    for _ in range(count or 0):
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        taken.append(message)
    return taken


def _read(queue: str, message: AbstractIncomingMessage) -> DeadLetter:
    headers = dict(message.headers or {})
    deaths = headers.get("x-death")
    first = deaths[0] if isinstance(deaths, list) and deaths else None
    death: dict[str, Any] = dict(first) if isinstance(first, dict) else {}
    routing_keys = death.get("routing-keys") or [""]
    broker_reason = _text(death.get("reason") or headers.get("x-first-death-reason") or "")
    reason = headers.get(REASON) or f"dead-lettered by the broker: {broker_reason}"
    parked = headers.get(PARKED_AT) or death.get("time")
    return DeadLetter(
        queue=queue,
        service=str(headers.get(SERVICE) or queue.split(".")[1]),
        message_id=message.message_id,
        message_type=message.type or _type_of(message.body),
        reason=_text(reason),
        parked_at=_when(parked),
        exchange=_text(headers.get(ORIGINAL_EXCHANGE) or death.get("exchange") or ""),
        routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY) or routing_keys[0]),
        headers=headers,
        body=message.body,
    )


async def _republish(
    channel: AbstractChannel, message: AbstractIncomingMessage, letter: DeadLetter
) -> None:
    dropped = set(SERVICEVM_HEADERS) | set(_BROKER_HEADERS)
    headers = {name: value for name, value in letter.headers.items() if name not in dropped}
    copy = aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        timestamp=message.timestamp,
        app_id=message.app_id,
    )
    exchange = await channel.get_exchange(letter.exchange, ensure=False)
    await exchange.publish(copy, routing_key=letter.routing_key, mandatory=True)


def _type_of(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    return kind if isinstance(kind, str) else None


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _plain(value: Any) -> Any:
    """Header values as JSON can show them (x-death holds tables, bytes and datetimes)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
