"""Parking an unprocessable message in its service's dead-letter queue, with the reason.

A plain reject lets the broker dead-letter the message, but with no word of why. The
consumer instead republishes it to the dead-letter exchange with the reason in its headers
(publisher-confirmed), and only then acknowledges the original; if that publish fails it
falls back to the reject, so the message is parked either way, never dropped.
"""

from __future__ import annotations

import time
from typing import Any

import aio_pika
from aiormq.abc import DeliveredMessage

from shared.messaging.topology import DEAD_LETTER

# Headers the parking adds; replay removes them again.
REASON = "x-servicevm-reason"
SERVICE = "x-servicevm-service"
ORIGINAL_EXCHANGE = "x-servicevm-exchange"
ORIGINAL_ROUTING_KEY = "x-servicevm-routing-key"
PARKED_AT = "x-servicevm-parked-at"
# The names RabbitMQ gives its own first dead-lettering, filled only if it has not.
FIRST_DEATH = ("x-first-death-reason", "x-first-death-queue", "x-first-death-exchange")
SERVICEVM_HEADERS = (REASON, SERVICE, ORIGINAL_EXCHANGE, ORIGINAL_ROUTING_KEY, PARKED_AT)
REASON_LIMIT = 1000  # characters: a validation error can be long


def parked_headers(
    message: DeliveredMessage, *, service: str, queue: str, reason: str
) -> dict[str, Any]:
    properties = message.header.properties
    headers: dict[str, Any] = dict(properties.headers or {})
    exchange = message.delivery.exchange or ""  # type: ignore[union-attr]
    headers.update(
        {
            REASON: reason[:REASON_LIMIT],
            SERVICE: service,
            ORIGINAL_EXCHANGE: exchange,
            ORIGINAL_ROUTING_KEY: message.delivery.routing_key or "",  # type: ignore[union-attr]
            PARKED_AT: int(time.time()),
        }
    )
    for name, value in zip(FIRST_DEATH, ("rejected", queue, exchange), strict=True):
        headers.setdefault(name, value)
    return headers


async def park(
    channel: aio_pika.abc.AbstractChannel,
    message: DeliveredMessage,
    *,
    service: str,
    queue: str,
    reason: str,
) -> None:
    """Publish a copy to the dead-letter exchange (routing key: the service queue's name,
    as the queue's own dead-lettering uses) and wait for the broker's confirm."""
    properties = message.header.properties
    copy = aio_pika.Message(
        message.body,
        headers=parked_headers(message, service=service, queue=queue, reason=reason),
        content_type=properties.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=properties.message_id,
        correlation_id=properties.correlation_id,
        type=properties.message_type,
        timestamp=properties.timestamp,
        app_id=properties.app_id,
    )
    exchange = await channel.get_exchange(DEAD_LETTER, ensure=False)
    await exchange.publish(copy, routing_key=queue, mandatory=True)
