"""Route each incoming envelope to its handler, once.

Handlers are plain async functions ``handler(message, context)`` registered in one table per
service. Before a handler runs, the dispatcher looks the message id up in the inbox and skips
a message already processed, so no handler code (a driver call, a read, a first step) runs
again for a redelivery, whatever the handler's shape. (A batch of one-transaction messages,
batching.py, looks at the inbox as it commits instead: a redelivery's handler may run there,
in a transaction that then rolls back.) A handler's last transaction is opened
with ``final=True``: it records the message id in the inbox, so the handler's effects and
"processed" commit together; if a concurrent delivery recorded it first, that transaction
fails with AlreadyProcessed and rolls back.

Work that must only start once the message's transaction committed (a look at what that
commit made possible, which must see it) is registered with ``HandlerContext.after_commit``.
It runs after the handler's final commit (after the batch's COMMIT for a batched message),
before the message is acknowledged; never if that transaction rolled back (a rerun
registers it again). It is best effort: its failure is logged, not retried, since the
message is processed already; whatever needs it must have another way to catch up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts.envelope import Envelope, Message
from shared.contracts.registry import parse_payload
from shared.db import pooled
from shared.db.raw import Driver, InboxSql
from shared.db.uow import AlreadyProcessed, UnitOfWork
from shared.messaging.errors import DependencyNotYetKnown, NoHandler
from shared.messaging.leases import check_fence
from shared.observability.context import correlation_scope
from shared.observability.metrics import MESSAGE_SECONDS, MESSAGES_HANDLED

log = logging.getLogger(__name__)
# A handler slower than this is logged: it holds one of the consumer's prefetch slots.
SLOW_HANDLER_SECONDS = 5.0


@dataclass(frozen=True)
class ServiceStore:
    """What a service's code needs to open transactions in its own schema."""

    service: str
    engine: AsyncEngine
    outbox: Table
    inbox: Table

    def unit_of_work(self, correlation_id: str) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            outbox=self.outbox,
            inbox=self.inbox,
            producer=self.service,
            correlation_id=correlation_id,
        )


# Work for after the commit: opens its own unit of work (``ServiceStore.unit_of_work``),
# never ``HandlerContext.transaction``, whose transaction is over by then.
AfterCommit = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class AfterCommitWork:
    """One piece of after-commit work and the message that registered it."""

    envelope: Envelope
    work: AfterCommit


async def run_after_commit(works: Sequence[AfterCommitWork]) -> None:
    """Run after-commit work in the order it was registered. A failure is logged and the
    rest still runs: the messages are processed, nothing would run it again."""
    for registered in works:
        with correlation_scope(registered.envelope.correlation_id):
            try:
                await registered.work()
            except Exception:
                log.exception(
                    "after-commit work failed; its message stays processed",
                    extra={"message_type": registered.envelope.type},
                )


@dataclass
class HandlerContext:
    envelope: Envelope
    store: ServiceStore
    # Registered by the handler, run by the dispatcher once the final transaction committed.
    after_commit_work: list[AfterCommitWork] = field(default_factory=list, init=False)
    final_committed: bool = field(default=False, init=False)

    def after_commit(self, work: AfterCommit) -> None:
        """Run ``work`` once this message's transaction has committed (module docstring)."""
        self.after_commit_work.append(AfterCommitWork(self.envelope, work))

    @asynccontextmanager
    async def transaction(self, *, final: bool = False) -> AsyncIterator[UnitOfWork]:
        """A unit of work for the handler. The final one records the message as processed,
        in the same transaction as the handler's last effects."""
        async with self.store.unit_of_work(self.envelope.correlation_id) as uow:
            # Under a resource lease (handoff.py), a stale holder's transaction is refused;
            # the final one gives the lease up as it commits.
            lease = await check_fence(uow.conn, release=final)
            if final:
                await uow.record_processed(self.envelope)
            yield uow
            if final and uow.committed:
                self.final_committed = True
                if lease is not None:
                    lease.released = True


# Each handler takes its own message type; the table maps that type to it.
Handler = Callable[[Any, HandlerContext], Awaitable[None]]
HandlerTable = Mapping[type[Message], Handler]


class Dispatcher:
    def __init__(self, store: ServiceStore, handlers: HandlerTable) -> None:
        self._store = store
        self._handlers = {model.TYPE: handler for model, handler in handlers.items()}

    def handled_types(self) -> set[str]:
        return set(self._handlers)

    def handler_for(self, message_type: str) -> Handler | None:
        return self._handlers.get(message_type)

    @property
    def store(self) -> ServiceStore:
        return self._store

    async def __call__(self, envelope: Envelope) -> None:
        started = time.perf_counter()
        outcome = "handled"
        with correlation_scope(envelope.correlation_id):
            try:
                await self._dispatch(envelope)
            except AlreadyProcessed:
                outcome = "duplicate"
                log.info(
                    "duplicate message skipped", extra={"message_id": str(envelope.message_id)}
                )
            except DependencyNotYetKnown:
                outcome = "not_yet"  # handled again shortly (not_yet.py): no failure
                raise
            except BaseException:
                outcome = "failed"
                raise
            finally:
                self.observe(envelope, outcome, time.perf_counter() - started)

    def observe(self, envelope: Envelope, outcome: str, elapsed: float) -> None:
        """Count and time one message's handling; log a slow one."""
        MESSAGES_HANDLED.labels(self._store.service, envelope.type, outcome).inc()
        MESSAGE_SECONDS.labels(self._store.service, envelope.type).observe(elapsed)
        if elapsed > SLOW_HANDLER_SECONDS:
            log.warning(
                "slow message handler",
                extra={
                    "message_type": envelope.type,
                    "subject_id": envelope.subject_id,
                    "seconds": round(elapsed, 2),
                    "outcome": outcome,
                },
            )

    async def _dispatch(self, envelope: Envelope) -> None:
        message = parse_payload(envelope)  # first: an unknown type or version says so
        handler = self._handlers.get(envelope.type)
        if handler is None:
            raise NoHandler(f"{self._store.service} has no handler for {envelope.type}")
        if await self._was_processed(envelope):
            raise AlreadyProcessed(str(envelope.message_id))
        log.debug(
            "handling message",
            extra={"message_type": envelope.type, "message_id": str(envelope.message_id)},
        )
        context = HandlerContext(envelope=envelope, store=self._store)
        await handler(message, context)
        if context.final_committed:
            await run_after_commit(context.after_commit_work)

    async def _was_processed(self, envelope: Envelope) -> bool:
        # A lone read: one statement, without a transaction around it.
        async with pooled.connection(self._store.engine) as conn:
            driver = (await Driver.under(conn)).outside_transaction()
            found = await driver.fetchval(InboxSql.of(self._store.inbox).find, envelope.message_id)
        return found is not None
