"""Replay from the notification stream (``servicevm.notifications.stream``, every project's
notifications, for admins): a consumer of the stream queue with a prefetch, manual
acknowledgements and ``x-stream-offset`` (an offset, or a timestamp) saying where to start.

The stream never ends: a replay stops once nothing more came for ``idle_seconds`` (it has
caught up), unless it follows on like ``tail``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika

from shared.messaging.topology import NOTIFICATION_STREAM

Notification = dict[str, Any]
# Stream consumers must have a prefetch (basic.qos): it is how many the broker sends ahead.
PREFETCH = 500


def parse_since(text: str) -> datetime:
    """ISO 8601 (``2026-11-30T14:00:00Z``, ``2026-11-30 14:00``); without a zone, UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def notification_time(body: Notification) -> datetime | None:
    """servicevm's ``timestamp``, or SOL003's ``timeStamp``."""
    stamp = body.get("timestamp", body.get("timeStamp"))
    try:
        return parse_since(str(stamp)) if stamp is not None else None
    except ValueError:
        return None


def is_since(body: Notification, since: datetime | None) -> bool:
    """The broker starts a timestamp replay at the start of a chunk of the stream, so a few
    earlier notifications may come first: those are skipped here, by their own timestamp
    (the time of the change they report)."""
    if since is None:
        return True
    moment = notification_time(body)
    return moment is not None and moment >= since


@dataclass
class Replay:
    amqp_url: str
    # Where to start: an offset (0 is the oldest kept), or a moment.
    start: int | datetime
    accept: Callable[[Notification], bool]
    emit: Callable[[int | None, Notification], None]  # (stream offset, body)
    idle_seconds: float | None  # None: follow forever
    seen: int = 0

    async def run(self, *, count: int | None) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=PREFETCH)
            # Passive: a reader may read the stream, not declare it.
            stream = await channel.get_queue(NOTIFICATION_STREAM, ensure=True)
            arrived: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()

            # Not aio-pika's queue iterator: leaving it rejects the messages it holds, which a
            # stream refuses (the broker closes the connection). Messages left unacknowledged
            # here are simply dropped with the connection.
            await stream.consume(arrived.put, arguments={"x-stream-offset": self.start})
            await self._take_until(arrived, count)

    async def _take_until(
        self, arrived: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage], count: int | None
    ) -> None:
        since = self.start if isinstance(self.start, datetime) else None
        while count is None or self.seen < count:
            try:
                message = await asyncio.wait_for(arrived.get(), self.idle_seconds)
            except TimeoutError:
                return  # caught up: nothing more for idle_seconds
            await message.ack()  # a stream ack removes nothing: it gives the consumer credit
            self._take(message, since)

    def _take(self, message: aio_pika.abc.AbstractIncomingMessage, since: datetime | None) -> None:
        body = _decode(message.body)
        if body is None or not is_since(body, since) or not self.accept(body):
            return
        offset = message.headers.get("x-stream-offset")
        self.emit(offset if isinstance(offset, int) else None, body)
        self.seen += 1


def _decode(raw: bytes) -> Notification | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
