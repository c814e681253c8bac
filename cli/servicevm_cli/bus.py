"""Live notifications from AMQP, as any subscriber reads them: an exclusive, auto-deleted
queue bound to the per-project exchange (``<project>.<event type>`` keys, what a project's
broker user may read) or, for admins, to the exchange of every project's notifications.

Only the binding keys and the matching of one notification are decided here (pure); the
consumer is aio-pika, as the services use.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika

from shared.contracts.notifications import project_routing_key
from shared.messaging.topology import NOTIFICATIONS, PROJECT_NOTIFICATIONS

Notification = dict[str, Any]


@dataclass(frozen=True)
class Source:
    exchange: str
    keys: tuple[str, ...]


def source(project: str | None, event_types: Sequence[str]) -> Source:
    """Where to listen: ``project`` None is the admin exchange. Event types may be patterns
    (``device.*``); ``*`` or none means every event."""
    patterns = [e for e in event_types if e != "*"] if "*" not in event_types else []
    patterns = patterns or ["#"]
    if project is None:
        return Source(NOTIFICATIONS, tuple(patterns))
    keys = [project_routing_key(project, pattern) for pattern in patterns]
    return Source(PROJECT_NOTIFICATIONS, tuple(key for key in keys if key is not None))


def matches(body: Notification, *, event_types: Sequence[str], resource_id: str | None) -> bool:
    """Also checked here: a pattern's ``*`` in AMQP spans one word, and resource ids are
    not in the routing key at all."""
    if resource_id is not None and str(body.get("resource_id")) != resource_id:
        return False
    if not event_types or "*" in event_types:
        return True
    event = str(body.get("event_type", ""))
    return any(
        event == wanted or (wanted.endswith(".*") and event.startswith(wanted[:-1]))
        for wanted in event_types
    )


@dataclass
class Tail:
    """One listening session: what it emits, and how many it has emitted."""

    amqp_url: str
    where: Source
    accept: Callable[[Notification], bool]
    emit: Callable[[Notification], None]
    ready: Callable[[str], None]  # told the queue's name once it is bound
    queue_prefix: str
    seen: int = 0

    async def run(self, *, count: int | None, seconds: float | None) -> bool:
        """Emit until ``count`` notifications were (forever if None); False if ``seconds``
        ran out first."""
        try:
            async with asyncio.timeout(seconds):
                await self._consume(count)
        except TimeoutError:
            return False
        return True

    async def _consume(self, count: int | None) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            # Passive: a project's broker user may read the exchange but not declare it.
            exchange = await channel.get_exchange(self.where.exchange, ensure=True)
            queue = await channel.declare_queue(
                f"{self.queue_prefix}.{uuid.uuid4().hex[:12]}", exclusive=True, auto_delete=True
            )
            for key in self.where.keys:
                await queue.bind(exchange, routing_key=key)
            self.ready(queue.name)
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        body = _decode(message.body)
                    if body is None or not self.accept(body):
                        continue
                    self.emit(body)
                    self.seen += 1
                    if count is not None and self.seen >= count:
                        return


def _decode(raw: bytes) -> Notification | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
