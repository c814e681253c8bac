"""The outbox relay: publishes committed outbox rows with publisher confirms, in order.

One relay per schema is active at a time (a Postgres advisory lock), so messages leave in
commit order. A commit wakes it (``db.relay_wakeup``) and it polls as a fallback. A row is
deleted only after the broker confirmed it (by the relay's next statement, which also reads
the next rows); a crash in between publishes it again, which consumers absorb through their
inbox. Commands and events are published mandatory: a row the broker returns as
unroutable (no queue bound to its key) is kept, counted and published again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from typing import Any, cast

import aio_pika
import aiormq
import asyncpg
import pamqp.commands
from aiormq.abc import ChannelFrame
from pamqp.header import ContentHeader
from prometheus_client import Counter
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.raw import OutboxSql
from shared.db.relay_wakeup import relay_here
from shared.db.tables import outbox_channel
from shared.messaging.topology import COMMANDS, EVENTS, declare_topology
from shared.observability.metrics import MESSAGES_PUBLISHED

log = logging.getLogger(__name__)
# A broker that has not confirmed a batch by then is treated as gone: reconnect, republish.
CONFIRM_TIMEOUT = 30.0
# A returned row waits this long before it is published again (a binding may appear).
RETURNED_RETRY_SECONDS = 30.0
# Every command and event has a service queue bound to it: unroutable there is a fault. A
# notification nobody subscribed to is unroutable by design, so those are not mandatory.
MANDATORY_EXCHANGES = frozenset({COMMANDS, EVENTS})
# Here rather than in observability.metrics: only the relay counts it.
OUTBOX_RETURNED = Counter(
    "servicevm_outbox_returned_total",
    "Outbox messages the broker returned as unroutable (kept in the outbox, retried)",
    ["service", "exchange"],
)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        outbox: Table,
        amqp_url: str,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
    ) -> None:
        # The service's name is its schema's (the outbox's), which commits wake it by.
        self._service = service
        self._engine = engine
        self._sql = OutboxSql.of(outbox)
        self._amqp_url = amqp_url
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._backoff = 0.5
        # Same key for every relay of this schema, whichever process runs it.
        self._lock_key = zlib.crc32(f"servicevm.outbox.{service}".encode())
        # Returned rows (outbox id -> when to try again): kept in the outbox, skipped until then.
        self._returned: dict[Any, float] = {}

    async def run(self) -> None:
        while True:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "outbox relay lost a connection; retrying",
                    extra={"backoff": self._backoff, "error": repr(exc)},
                )
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, 10.0)

    async def _run_connected(self) -> None:
        # This connection holds the relay's advisory lock and its LISTEN, both tied to the
        # session: it is closed, never returned to the pool, so neither outlives this attempt.
        conn = await self._engine.connect()
        try:
            raw = await conn.get_raw_connection()
            driver: asyncpg.Connection = raw.driver_connection
            await self._acquire_lock(driver)
            # Commits in other processes NOTIFY; those in this one set self._wake directly.
            await driver.add_listener(outbox_channel(self._service), self._on_notify)
            with relay_here(self._engine, self._service, self._wake.set):
                await self._relay(driver)
        finally:
            await conn.invalidate()
            await conn.close()

    async def _relay(self, driver: asyncpg.Connection) -> None:
        # Not "robust": on any connection loss this relay starts over from the outbox,
        # rather than waiting on confirms from a channel that is being rebuilt.
        connection = await aio_pika.connect(self._amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            # Again after every reconnection: a reset broker gets its topology back.
            await declare_topology(channel)
            log.info("outbox relay started", extra={"schema": self._service})
            self._backoff = 0.5
            # Rows confirmed by the broker, deleted by the next statement: the one that
            # reads the next rows, in the next round if this one emptied the outbox (at
            # the latest after a poll interval). One statement per round, not two; a crash
            # in between publishes them again, as it would between a publish and a delete.
            published: list[Any] = []
            while True:
                # Cleared before reading, never after: a commit notified while a batch is
                # being published wakes the next round instead of waiting for the poll.
                self._wake.clear()
                # Each statement commits on its own: this connection is the relay's alone.
                fetched = await driver.fetch(
                    self._sql.delete_then_oldest, published, self._batch_size
                )
                published = []
                rows = self._due(fetched)
                while rows:
                    returned = await self._publish(channel, rows)
                    published = [row["id"] for row in rows if row["id"] not in returned]
                    if len(fetched) < self._batch_size:
                        break  # nothing more was waiting
                    fetched = await driver.fetch(
                        self._sql.delete_then_oldest, published, self._batch_size
                    )
                    published = []
                    rows = self._due(fetched)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def _acquire_lock(self, driver: asyncpg.Connection) -> None:
        """Tried once a poll interval, one statement outside any transaction (a standby
        replica's relay does only this). Never a blocking pg_advisory_lock: a statement
        waiting that long would hold a snapshot and keep vacuum off the outbox's dead rows."""
        while True:
            if await driver.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                return
            await asyncio.sleep(self._poll_seconds)

    def _due(self, rows: list[asyncpg.Record]) -> list[asyncpg.Record]:
        """The rows to publish now: not those returned lately, whose retry time has not come.
        (More returned rows than a batch would stall the relay until their retry time.)"""
        now = time.monotonic()
        return [row for row in rows if self._returned.get(row["id"], 0.0) <= now]

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    def _properties(self, row: Any) -> pamqp.commands.Basic.Properties:
        return pamqp.commands.Basic.Properties(
            content_type="application/json",
            delivery_mode=2,  # persistent
            message_id=str(row["message_id"]),
            correlation_id=row["correlation_id"],
            message_type=row["message_type"],
            timestamp=row["created_at"],
            app_id=f"servicevm-{self._service}",
        )

    async def _publish(
        self, channel: aio_pika.abc.AbstractChannel, rows: list[asyncpg.Record]
    ) -> set[Any]:
        """Publish the rows and wait for every confirm; raise if any failed. Returns the ids
        of the rows the broker returned as unroutable: those stay in the outbox."""
        underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
        confirms = await self._write_batch(underlay, rows)
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*confirms, return_exceptions=True), CONFIRM_TIMEOUT
            )
        finally:
            for row in rows:
                # What basic_publish does once a confirm came: a returned message is
                # matched to its confirm by message id only while it waits for one.
                underlay.message_id_delivery_tag.pop(str(row["message_id"]), None)
        failed = [
            result
            for result in results
            if isinstance(result, BaseException)
            and not isinstance(result, aiormq.exceptions.PublishError)
        ]
        if failed:
            raise failed[0]  # nothing deleted: the whole batch is published again
        returned: set[Any] = set()
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, aiormq.exceptions.PublishError):
                returned.add(row["id"])
                self._keep_returned(row, result)
            else:
                self._returned.pop(row["id"], None)
                MESSAGES_PUBLISHED.labels(self._service, row["exchange"]).inc()
        return returned

    async def _write_batch(
        self, channel: aiormq.Channel, rows: list[asyncpg.Record]
    ) -> list[asyncio.Future[Any]]:
        """Send every publish of the batch in one write, in commit order, and return a
        confirm (future) per row, in the same order.

        aiormq's basic_publish sends one row per write, each behind the channel lock, the
        connection's write queue and a drain; a socket write to the broker is the costly
        part, so a batch goes as one. The bookkeeping is basic_publish's: each row takes
        the next delivery tag and a confirm future the broker's ack (or the channel's
        closing) settles, and its message id is mapped to its tag so that the broker
        returning it as unroutable fails that confirm with a PublishError.
        """
        frames: list[Any] = []
        confirms: list[asyncio.Future[Any]] = []
        async with channel.lock:
            first_tag = channel.delivery_tag
            try:
                for row in rows:
                    channel.delivery_tag += 1
                    confirm = channel.create_future()
                    channel.confirmations[channel.delivery_tag] = confirm
                    channel.message_id_delivery_tag[str(row["message_id"])] = channel.delivery_tag
                    confirms.append(confirm)
                    frames += self._frames(channel, row)
                await channel.write_queue.put(ChannelFrame.marshall(channel.number, frames))
            except BaseException:
                # Nothing reached the broker: give the tags back, as basic_publish does.
                for tag in range(first_tag + 1, channel.delivery_tag + 1):
                    channel.confirmations.pop(tag, None)
                channel.delivery_tag = first_tag
                for row in rows:
                    channel.message_id_delivery_tag.pop(str(row["message_id"]), None)
                for confirm in confirms:
                    confirm.cancel()
                raise
        return confirms

    def _frames(self, channel: aiormq.Channel, row: asyncpg.Record) -> list[Any]:
        body: bytes = row["body"]
        publish = pamqp.commands.Basic.Publish(
            exchange=row["exchange"],
            routing_key=row["routing_key"],
            mandatory=row["exchange"] in MANDATORY_EXCHANGES,
        )
        header = ContentHeader(properties=self._properties(row), body_size=len(body))
        # Split at the connection's frame size, as basic_publish does.
        return [publish, header, *channel._split_body(body)]

    def _keep_returned(self, row: asyncpg.Record, error: aiormq.exceptions.PublishError) -> None:
        self._returned[row["id"]] = time.monotonic() + RETURNED_RETRY_SECONDS
        OUTBOX_RETURNED.labels(self._service, row["exchange"]).inc()
        log.warning(
            "the broker returned an outbox message as unroutable; kept for a later retry",
            extra={
                "message_id": str(row["message_id"]),
                "exchange": row["exchange"],
                "routing_key": row["routing_key"],
                "reason": str(error),
                "retry_in": RETURNED_RETRY_SECONDS,
            },
        )
