"""The consuming side of a worker: kombu, acknowledging only after the handler committed.

The kombu consumer runs in its own thread and hands each message to the service's event
loop, waiting for the handler to finish before it acknowledges (acks late). One message is
handled at a time, so messages of one queue are applied in the order they were published.

- a message that cannot be parsed, or whose handler fails with a bug, is rejected into the
  queue's dead-letter queue, where an operator can read and replay it;
- a handler that fails because a server is away (Postgres down) is not acknowledged: the
  consumer backs off and the message is delivered again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.mixins import ConsumerMixin
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.registry import UnknownMessage
from shared.messaging.errors import is_transient
from shared.messaging.topology import QueueSpec

log = logging.getLogger(__name__)

Dispatch = Callable[[Envelope], Coroutine[Any, Any, None]]


class BusConsumer(ConsumerMixin):
    def __init__(
        self,
        *,
        amqp_url: str,
        queue: QueueSpec,
        dispatch: Dispatch,
        loop: asyncio.AbstractEventLoop,
        prefetch_count: int,
    ) -> None:
        self.connection = Connection(amqp_url, heartbeat=30)
        # Declared with its arguments by declare_topology; kombu only consumes from it.
        self._queue = Queue(queue.name, no_declare=True)
        self._dispatch = dispatch
        self._loop = loop
        self._prefetch_count = prefetch_count
        self._thread: threading.Thread | None = None
        self._backoff = 0.2

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        return [
            consumer_cls(
                queues=[self._queue],
                callbacks=[self._on_message],
                accept=["json"],
                prefetch_count=self._prefetch_count,
            )
        ]

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run, name=f"consumer-{self._queue.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout)

    def _on_message(self, body: Any, message: Any) -> None:
        try:
            envelope = Envelope.model_validate(body)
        except ValidationError as exc:
            log.error("rejecting a malformed message", extra={"error": str(exc)})
            message.reject(requeue=False)
            return
        future = asyncio.run_coroutine_threadsafe(self._dispatch(envelope), self._loop)
        try:
            future.result()
        except UnknownMessage as exc:
            log.error("rejecting a message this service cannot read", extra={"error": str(exc)})
            message.reject(requeue=False)
        except Exception as exc:
            if is_transient(exc):
                log.warning("transient failure; message will be redelivered", exc_info=True)
                time.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, 5.0)
                message.requeue()
                return
            log.exception("handler failed; message parked in the dead-letter queue")
            message.reject(requeue=False)
        else:
            message.ack()
        self._backoff = 0.2
