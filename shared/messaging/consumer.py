"""The consuming side of a worker: kombu, acknowledging only after the handler committed.

The kombu consumer runs in its own thread and hands each message to the service's event
loop. Up to ``prefetch_count`` messages are handled at once, but messages about the same
resource run one after another in delivery order (SubjectSequencer), so a device's changes
are applied, and notified, in the order they were published. A message is acknowledged
by the consumer thread (kombu channels are not thread-safe) once its handler finished:

- a message that cannot be parsed, or whose handler fails with a bug, is rejected into the
  queue's dead-letter queue, where an operator can read and replay it;
- a handler that fails because a server is away (Postgres down) is requeued, and the
  consumer pauses with a growing backoff before taking more work.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from queue import Empty, SimpleQueue
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.mixins import ConsumerMixin
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.registry import UnknownMessage
from shared.messaging.errors import is_transient
from shared.messaging.sequencing import SubjectSequencer
from shared.messaging.topology import QueueSpec

log = logging.getLogger(__name__)

Dispatch = Callable[[Envelope], Coroutine[Any, Any, None]]
# How long the consumer thread blocks on the socket before settling finished messages.
SETTLE_INTERVAL = 0.01


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
        self._sequencer = SubjectSequencer()
        self._finished: SimpleQueue[tuple[Any, Future[None]]] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._consuming = False
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
            target=self.run,
            kwargs={"safety_interval": SETTLE_INTERVAL},
            name=f"consumer-{self._queue.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages; unsettled ones are redelivered to the next consumer."""
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
        future = asyncio.run_coroutine_threadsafe(
            self._sequencer.run(
                envelope.subject_id, self._dispatch(envelope), after=envelope.depends_on
            ),
            self._loop,
        )
        future.add_done_callback(lambda done: self._finished.put((message, done)))

    def on_iteration(self) -> None:
        """Between socket reads, in the consumer thread: settle what the handlers finished."""
        while True:
            try:
                message, future = self._finished.get_nowait()
            except Empty:
                return
            self._settle(message, future)

    @property
    def consuming(self) -> bool:
        """For /readyz: the thread runs and holds a live consumer on the broker."""
        return self._thread is not None and self._thread.is_alive() and self._consuming

    def on_consume_ready(self, *_args: Any, **_kwargs: Any) -> None:
        self._consuming = True

    def on_connection_error(self, exc: BaseException, interval: float) -> None:
        self._consuming = False
        log.warning(
            "broker unreachable; retrying", extra={"retry_in": interval, "error": repr(exc)}
        )

    def on_connection_revived(self) -> None:
        log.info("broker connection revived")

    def _settle(self, message: Any, future: Future[None]) -> None:
        try:
            self._settle_outcome(message, future)
        except Exception:
            # The message came on a channel that has since closed: the broker redelivers it.
            log.warning("could not settle a message; it will be redelivered", exc_info=True)

    def _settle_outcome(self, message: Any, future: Future[None]) -> None:
        exc = future.exception()
        if exc is None:
            message.ack()
            self._backoff = 0.2
        elif isinstance(exc, UnknownMessage):
            log.error("rejecting a message this service cannot read", extra={"error": str(exc)})
            message.reject(requeue=False)
        elif is_transient(exc):
            log.warning("transient failure; message will be redelivered", exc_info=exc)
            message.requeue()
            time.sleep(self._backoff)  # nothing can succeed until the server is back
            self._backoff = min(self._backoff * 2, 5.0)
        else:
            log.error("handler failed; message parked in the dead-letter queue", exc_info=exc)
            message.reject(requeue=False)
