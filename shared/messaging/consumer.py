"""The consuming side of a worker: aio-pika on the service's event loop, acknowledging only
after the handler committed.

Up to ``prefetch_count`` messages are handled at once, but messages about the same resource
run one after another in delivery order (SubjectSequencer), so a device's changes are
applied, and notified, in the order they were published. Each delivery is parsed and
handed to the sequencer by the callback of its channel, in the order the broker sent them,
and is settled on that same channel once its handler finished (acknowledging.py: the
messages of one batch with one frame where the broker allows):

- a message that cannot be parsed, of an unknown type or version, with no handler, or whose
  handler fails with a bug, is parked in the service's dead-letter queue with the reason in
  its headers (parking.py), where an operator can list, read and replay it;
- a handler that fails because a server is away (Postgres down) is requeued, and the
  consumer pauses with a growing backoff before starting more work; the quorum queue's
  delivery limit dead-letters a message requeued too often, so nothing retries forever.

A lost connection is opened again with a growing backoff; the messages it held unsettled are
redelivered by the broker, and the inbox skips those whose handler had already committed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import aio_pika
import aiormq
from aiormq.abc import DeliveredMessage
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.registry import UnknownMessage
from shared.messaging.acknowledging import Acknowledger
from shared.messaging.errors import NoHandler, is_transient
from shared.messaging.parking import park
from shared.messaging.sequencing import SubjectSequencer
from shared.messaging.topology import QueueSpec

log = logging.getLogger(__name__)

Dispatch = Callable[[Envelope], Coroutine[Any, Any, None]]
Outcome = Literal["ack", "requeue", "reject"]
# What a delivery is settled through: the acknowledger of the channel it came on.
Delivery = tuple[Acknowledger, DeliveredMessage]
FIRST_BACKOFF = 0.2
# Acknowledgements wait this long for others to go in the same frame (acknowledging.py);
# no longer than it takes half the prefetch window to be handled.
ACK_DELAY = 0.05
MAX_BACKOFF = 5.0


class BusConsumer:
    def __init__(
        self, *, amqp_url: str, queue: QueueSpec, dispatch: Dispatch, prefetch_count: int
    ) -> None:
        self._amqp_url = amqp_url
        self._queue = queue.name
        self._service: str = queue.service
        # A confirming channel beside the consuming one, for parking messages.
        self._parking: aio_pika.abc.AbstractChannel | None = None
        self._dispatch = dispatch
        self._prefetch_count = prefetch_count
        self._sequencer = SubjectSequencer()
        self._task: asyncio.Task[None] | None = None
        self._channel: aiormq.abc.AbstractChannel | None = None
        self._consumer_tag: str | None = None
        self._acks: Acknowledger | None = None  # the consuming channel's
        self._handling: set[asyncio.Future[None]] = set()
        self._backoff = FIRST_BACKOFF  # after a transient handler failure
        # Cleared while paused after a transient failure; new work waits for it.
        self._running = asyncio.Event()
        self._running.set()
        self._resume: asyncio.TimerHandle | None = None
        self._reconnect_in = FIRST_BACKOFF  # after a lost connection

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self._queue}")

    async def stop(self, grace: float = 10.0) -> None:
        """Take no more messages, let the running handlers finish and settle (up to
        ``grace`` seconds), then close: anything unsettled is redelivered to the next consumer."""
        channel, tag = self._channel, self._consumer_tag
        self._consumer_tag = None
        if channel is not None and tag is not None and not channel.is_closed:
            try:
                await asyncio.wait_for(channel.basic_cancel(tag), grace)
            except Exception:
                log.warning("could not cancel the consumer; closing", exc_info=True)
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=grace)
        if self._acks is not None:
            await self._acks.flushed()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def connection_name(self) -> str:
        """As the broker lists it: which replica (process) holds this consumer."""
        return f"servicevm {self._service} consumer pid {os.getpid()}"

    @property
    def consuming(self) -> bool:
        """For /readyz: a live channel holds a consumer on the broker."""
        channel = self._channel
        return self._consumer_tag is not None and channel is not None and not channel.is_closed

    async def _run(self) -> None:
        while True:
            try:
                await self._consume_until_closed()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "broker unreachable; retrying",
                    extra={"retry_in": self._reconnect_in, "error": repr(exc)},
                )
            self._consumer_tag = None
            await asyncio.sleep(self._reconnect_in)
            self._reconnect_in = min(self._reconnect_in * 2, MAX_BACKOFF)

    async def _consume_until_closed(self) -> None:
        # Not "robust": this loop opens a new connection itself, so no delivery tag of a
        # dead channel is ever settled on its successor.
        connection = await aio_pika.connect(
            self._amqp_url, timeout=10, client_properties={"connection_name": self.connection_name}
        )
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self._prefetch_count)
            self._parking = await connection.channel(publisher_confirms=True, on_return_raises=True)
            underlay = await channel.get_underlay_channel()
            closing = underlay.closing
            # The queue was declared with its arguments by declare_topology.
            self._acks = Acknowledger(
                underlay, delay=ACK_DELAY, enough=max(1, self._prefetch_count // 2)
            )
            consume_ok = await underlay.basic_consume(self._queue, self._on_delivery)
            self._channel, self._consumer_tag = underlay, consume_ok.consumer_tag
            self._reconnect_in = FIRST_BACKOFF
            log.info("consuming", extra={"queue": self._queue})
            await closing
            raise ConnectionError("the broker closed the consumer's channel")
        finally:
            self._consumer_tag = None
            await connection.close()

    async def _on_delivery(self, message: DeliveredMessage) -> None:
        # Runs in delivery order up to the submit: no await before it.
        acks = self._acks
        if acks is None or acks.channel is not message.channel:
            return  # of a channel this consumer left: the broker redelivers it
        acks.delivered(message.delivery_tag or 0)
        delivery = (acks, message)
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError as exc:
            await self._reject(delivery, f"malformed message: {exc}")
            return
        handled = self._sequencer.submit(
            envelope.subject_id, self._handle(delivery, envelope), after=envelope.depends_on
        )
        self._handling.add(handled)
        handled.add_done_callback(self._handling.discard)

    async def _handle(self, delivery: Delivery, envelope: Envelope) -> None:
        await self._running.wait()
        try:
            await self._dispatch(envelope)
        except Exception as exc:
            await self._settle_failure(delivery, exc)
            return
        self._backoff = FIRST_BACKOFF
        await self._settle(delivery, "ack")

    def _pause(self) -> None:
        """Nothing can succeed until the server is back: start no new work for a while."""
        if self._resume is not None:
            self._resume.cancel()
        self._running.clear()
        self._resume = asyncio.get_running_loop().call_later(self._backoff, self._running.set)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    async def _settle_failure(self, delivery: Delivery, exc: Exception) -> None:
        if isinstance(exc, UnknownMessage):
            await self._reject(delivery, f"unknown message type or version: {exc}")
        elif isinstance(exc, ValidationError):
            await self._reject(delivery, f"payload does not validate: {exc}")
        elif isinstance(exc, NoHandler):
            await self._reject(delivery, f"no handler: {exc}")
        elif is_transient(exc):
            log.warning("transient failure; message will be redelivered", exc_info=exc)
            self._pause()
            await self._settle(delivery, "requeue")
        else:
            log.error("handler failed", exc_info=exc)
            await self._reject(delivery, f"handler failed: {exc!r}")

    async def _reject(self, delivery: Delivery, reason: str) -> None:
        """Into the service's dead-letter queue, with the reason; a plain reject (the queue's
        own dead-lettering, without the reason) if the parking publish fails."""
        log.error(
            "message parked in the dead-letter queue",
            extra={"queue": self._queue, "reason": reason[:300]},
        )
        parking = self._parking
        try:
            if parking is None or parking.is_closed:
                raise ConnectionError("no parking channel")
            await park(
                parking, delivery[1], service=self._service, queue=self._queue, reason=reason
            )
        except Exception:
            log.warning("could not park with the reason; rejecting instead", exc_info=True)
            await self._settle(delivery, "reject")
            return
        await self._settle(delivery, "ack")

    @staticmethod
    async def _settle(delivery: Delivery, outcome: Outcome) -> None:
        acks, message = delivery
        tag = message.delivery_tag or 0
        try:
            if outcome == "ack":
                acks.ack(tag)  # sent with the others of this turn of the loop
            else:
                await acks.reject(tag, requeue=outcome == "requeue")
        except Exception:
            # The message came on a channel that has since closed: the broker redelivers it.
            log.warning("could not settle a message; it will be redelivered", exc_info=True)
