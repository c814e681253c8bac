"""Unit of work: one transaction that rolls back unless committed, with its outbox and inbox.

Outgoing messages are rows in the same transaction as the state change (the outbox), so a
crash between commit and publish loses nothing; the relay publishes them afterwards.
"""

from __future__ import annotations

import logging
import uuid
from types import TracebackType
from typing import Self

import asyncpg
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.contracts.envelope import Envelope, Message
from shared.contracts.notifications import Notification, project_routing_key
from shared.db import pooled
from shared.db.raw import Driver, InboxSql, OutboxRows, OutboxSql
from shared.db.relay_wakeup import wake_relay
from shared.messaging.topology import COMMANDS, EVENTS, NOTIFICATIONS, PROJECT_NOTIFICATIONS

log = logging.getLogger(__name__)


class AlreadyProcessed(Exception):
    """The inbox already holds this message id: a duplicate delivery."""


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        outbox: Table,
        inbox: Table,
        producer: str,
        correlation_id: str,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._inbox = inbox
        self._producer = producer
        self.correlation_id = correlation_id
        self._conn: AsyncConnection | None = None
        self._driver: Driver | None = None
        # Outbox rows of this transaction, written in one statement just before commit:
        # (message_id, exchange, routing_key, message_type, correlation_id, body).
        self._pending: list[tuple[uuid.UUID, str, str, str, str, bytes]] = []
        # Outbox rows were written (or handed out to be written): the relay is woken after
        # the commit.
        self._announced = False
        self.committed = False

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'async with' block")
        return self._conn

    async def __aenter__(self) -> Self:
        # Nothing is sent yet: the first statement begins the transaction (raw.Driver,
        # or SQLAlchemy's autobegin).
        self._conn = await pooled.checkout(self._engine)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn, self._driver = self.conn, None, None
        announced, self._pending, self._announced = self._announced, [], False
        try:
            await pooled.rollback(conn)  # nothing to do once committed
        finally:
            await pooled.checkin(conn)
        if announced:
            # Rows from take_outbox, written by a statement that committed on its own (no
            # commit here). Had it failed, the relay wakes for nothing: harmless.
            self._wake_relay()

    async def commit(self) -> None:
        if self._pending:
            rows, self._pending = self._pending, []
            driver = await self._driver_in_transaction()
            await driver.execute(OutboxSql.of(self._outbox).insert, *zip(*rows, strict=True))
            self._announced = True
        await pooled.commit(self.conn)
        self.committed = True
        if self._announced:
            self._announced = False
            self._wake_relay()

    def _wake_relay(self) -> None:
        """The relay publishes the rows just committed (``relay_wakeup``)."""
        wake_relay(self._engine, self._outbox.schema or "")

    async def _driver_in_transaction(self) -> asyncpg.Connection:
        if self._driver is None:
            self._driver = await Driver.under(self.conn)
        return await self._driver.in_transaction()

    async def driver(self) -> asyncpg.Connection:
        """The asyncpg connection, in this unit's transaction: for a hot statement written
        as SQL (prepared once per connection, no SQLAlchemy Core per call)."""
        return await self._driver_in_transaction()

    async def driver_outside_transaction(self) -> asyncpg.Connection:
        """The asyncpg connection with nothing begun on it: a statement run there is a
        transaction of its own (no BEGIN or COMMIT round trip). Only before anything ran
        in this unit: after that, its statements belong to the unit's transaction."""
        if self._driver is None:
            self._driver = await Driver.under(self.conn)
        return self._driver.outside_transaction()

    def take_outbox(self) -> OutboxRows:
        """The outbox rows queued so far, column by column, which ``commit`` no longer
        writes: for one statement that writes them with the change they announce
        (``OutboxSql.insert_if``)."""
        rows, self._pending = self._pending, []
        if not rows:
            return OutboxRows([], [], [], [], [], [])
        self._announced = True
        return OutboxRows(*map(list, zip(*rows, strict=True)))

    async def record_processed(self, envelope: Envelope) -> None:
        """Remember this message id; raise AlreadyProcessed if another delivery got here first."""
        driver = await self._driver_in_transaction()
        status = await driver.execute(
            InboxSql.of(self._inbox).record, envelope.message_id, envelope.type
        )
        if status == "INSERT 0 0":
            raise AlreadyProcessed(str(envelope.message_id))

    async def record_processed_many(self, envelopes: list[Envelope]) -> set[uuid.UUID]:
        """Remember these message ids at once; returns those not processed before."""
        driver = await self._driver_in_transaction()
        rows = await driver.fetch(
            InboxSql.of(self._inbox).record_many,
            [envelope.message_id for envelope in envelopes],
            [envelope.type for envelope in envelopes],
        )
        return {row["message_id"] for row in rows}

    async def was_processed(self, envelope: Envelope) -> bool:
        driver = await self._driver_in_transaction()
        found = await driver.fetchval(InboxSql.of(self._inbox).find, envelope.message_id)
        return found is not None

    async def publish(self, message: Message, *, tenant_id: str) -> uuid.UUID:
        """Queue a command or event for the relay, in this transaction."""
        message_id, body = Envelope.wrap_json(
            message,
            correlation_id=self.correlation_id,
            tenant_id=tenant_id,
            producer=self._producer,
        )
        exchange = COMMANDS if message.KIND == "commands" else EVENTS
        await self._add(
            message_id=message_id,
            exchange=exchange,
            routing_key=message.TYPE,
            message_type=message.TYPE,
            body=body,
        )
        return message_id

    async def notify(self, notification: Notification) -> None:
        """Queue a lifecycle notification for subscribers, in this transaction: on the
        admins' exchange by event type, and on the per-project exchange by project."""
        await self.publish_notification(
            notification_id=notification.id,
            tenant_id=notification.tenant_id,
            event_type=notification.event_type,
            body=notification.model_dump_json().encode(),
        )

    async def publish_notification(
        self, *, notification_id: uuid.UUID, tenant_id: str, event_type: str, body: bytes
    ) -> None:
        """Any notification body (servicevm's own, or a SOL003 one) on both exchanges."""
        await self._add(
            message_id=notification_id,
            exchange=NOTIFICATIONS,
            routing_key=event_type,
            message_type=event_type,
            body=body,
        )
        project_key = project_routing_key(tenant_id, event_type)
        if project_key is None:
            log.warning(
                "project id too long for a routing key; not on the per-project exchange",
                extra={"notification_id": str(notification_id)},
            )
            return
        await self._add(
            # The outbox wants one id per row; the body keeps the notification's own id.
            message_id=uuid.uuid5(notification_id, PROJECT_NOTIFICATIONS),
            exchange=PROJECT_NOTIFICATIONS,
            routing_key=project_key,
            message_type=event_type,
            body=body,
        )

    async def _add(
        self,
        *,
        message_id: uuid.UUID,
        exchange: str,
        routing_key: str,
        message_type: str,
        body: bytes,
    ) -> None:
        self._pending.append(
            (message_id, exchange, routing_key, message_type, self.correlation_id, body)
        )
