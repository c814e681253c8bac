"""Watching the notifications exchange and publishing raw messages, as an outside party would."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.entity import binding as queue_binding
from kombu.messaging import Consumer, Producer

from shared.contracts.envelope import Envelope, Message
from shared.messaging.topology import COMMANDS, NOTIFICATIONS


class BusQueue:
    """A queue of the test's own (exclusive, gone with its connection) bound to keys on a
    topic exchange; ``drain`` hands what arrived to ``_on_message``."""

    def __init__(self, amqp_url: str, exchange_name: str, keys: Sequence[str], name: str) -> None:
        self._connection = Connection(amqp_url)
        exchange = Exchange(exchange_name, type="topic", durable=True)
        self._queue = Queue(
            f"{name}.{uuid.uuid4().hex[:8]}",
            bindings=[queue_binding(exchange, routing_key=key) for key in keys],
            exclusive=True,
            auto_delete=True,
        )
        self._consumer = Consumer(
            self._connection.channel(),
            queues=[self._queue],
            callbacks=[self._on_message],
            accept=["json"],
        )
        self._consumer.consume()

    def _on_message(self, body: Any, message: Any) -> None:
        raise NotImplementedError

    def drain(self, seconds: float = 0.2) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._connection.drain_events(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return

    def close(self) -> None:
        self._consumer.cancel()
        self._connection.release()


class NotificationListener(BusQueue):
    """A subscriber with its own exclusive queue bound to a key on servicevm.notifications
    (or another notification exchange)."""

    def __init__(
        self, amqp_url: str, binding: str = "#", exchange_name: str = NOTIFICATIONS
    ) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        super().__init__(amqp_url, exchange_name, [binding], "test.notifications")

    def _on_message(self, body: Any, message: Any) -> None:
        self.received.append((message.delivery_info["routing_key"], body))
        message.ack()

    def wait_for(
        self, predicate: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout: float = 20
    ) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.received):
                return self.received
            self.drain(0.2)
        raise AssertionError(
            f"notifications never matched; received: {[k for k, _ in self.received]}"
        )

    def for_resource(self, resource_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (key, body) for key, body in self.received if body.get("resource_id") == resource_id
        ]


def publish_raw(
    amqp_url: str, body: bytes, *, routing_key: str, message_id: str | None = None
) -> None:
    """Publish bytes on the commands exchange as a persistent JSON message."""
    with Connection(amqp_url) as connection:
        producer = Producer(
            connection.channel(), exchange=Exchange(COMMANDS, type="topic", durable=True)
        )
        producer.publish(
            body,
            routing_key=routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=message_id,
        )


def publish_command(amqp_url: str, envelope: Envelope) -> None:
    """Publish an envelope on the commands exchange exactly as the outbox relay would."""
    body = json.dumps(envelope.model_dump(mode="json")).encode()
    publish_raw(amqp_url, body, routing_key=envelope.type, message_id=str(envelope.message_id))


def queue_depth(amqp_url: str, queue: str) -> int:
    with Connection(amqp_url) as connection:
        depth: int = connection.default_channel.queue_declare(queue, passive=True).message_count
        return depth


def envelope_for(message: Message, tenant_id: str) -> Envelope:
    return Envelope.wrap(
        message, correlation_id=f"req-{uuid.uuid4()}", tenant_id=tenant_id, producer="test"
    )
