"""Handle the messages that arrive together in one transaction.

Most messages a service consumes are projections and notifications: one transaction, no
I/O outside it. Run one at a time, each pays for its inbox check, BEGIN, inbox row,
outbox row and COMMIT; under load these round trips are most of a service's CPU. Handlers
registered with ``one_transaction`` are therefore run in batches: the messages waiting when
a batch starts (up to ``max_batch``) share one transaction, which records their ids in the
inbox with one statement (skipping those already processed: the duplicates), runs their
handlers one after another in delivery order, writes all their outbox rows with one
statement and commits. Each message's ``dispatch`` call returns only after that commit, so
the consumer still acknowledges after the commit.

Guarantees kept:
- inbox: the batch's inbox rows commit with its effects; a duplicate is skipped as before;
- order per resource: the consumer's sequencer lets a message through only once the
  previous one about its subject has been acknowledged, so one batch never holds two
  messages about one resource, and a later batch sees the earlier one's commit;
- failure: if any handler of a batch fails, the batch rolls back and each of its messages
  runs again alone, so one bad message only fails (and is parked or requeued) on its own.

A batch starts as soon as a slot is free (at most ``max_running`` at once), so a lone
message waits for nothing; batches grow only while the service is busy.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from shared.contracts.envelope import Envelope, Message
from shared.contracts.registry import parse_payload
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import Dispatcher, Handler, HandlerContext
from shared.observability.context import correlation_scope

# Handler -> which of its messages it handles in one transaction (no I/O outside it).
_ONE_TRANSACTION: dict[Handler, Callable[[Any], bool]] = {}


def one_transaction(
    when: Callable[[Any], bool] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare that the handler's work is one transaction of the ``HandlerContext`` (or
    several that may as well be one) with no side effect outside the database, for every
    message or for those ``when`` accepts: such messages may share a transaction."""

    def register(handler: Handler) -> Handler:
        _ONE_TRANSACTION[handler] = when or (lambda _message: True)
        return handler

    return register


class NotCommitted(Exception):
    """A handler left its transaction without committing: it meant to change nothing,
    which only a transaction of its own can do."""


class BatchUnitOfWork(UnitOfWork):
    """The batch's transaction, lent to each handler in turn: its ``commit`` only records
    that the handler wanted its work kept; the batch commits once every handler ran."""

    handler_opened = False
    handler_committed = False

    async def commit(self) -> None:
        self.handler_committed = True

    async def commit_batch(self) -> None:
        await UnitOfWork.commit(self)

    async def record_processed(self, envelope: Envelope) -> None:
        """The batch recorded every message it runs before the first handler."""


@dataclass
class BatchedContext(HandlerContext):
    shared: BatchUnitOfWork = field(kw_only=True)

    @asynccontextmanager
    async def transaction(self, *, final: bool = False) -> AsyncIterator[UnitOfWork]:
        self.shared.handler_opened = True
        yield self.shared


@dataclass
class _Item:
    envelope: Envelope
    message: Message
    handler: Handler
    done: asyncio.Future[None]


class BatchingDispatcher:
    """A Dispatcher whose one-transaction messages share transactions (see the module)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        max_batch: int,
        max_running: int = 2,
        never: frozenset[str] = frozenset(),
    ) -> None:
        self._dispatcher = dispatcher
        # Message types always dispatched alone (those handled under a lease).
        self._never = never
        self._max_batch = max_batch
        self._max_running = max_running
        self._waiting: list[_Item] = []
        self._running: set[asyncio.Task[None]] = set()
        self._kick_scheduled = False

    def handled_types(self) -> set[str]:
        return self._dispatcher.handled_types()

    async def __call__(self, envelope: Envelope) -> None:
        item = self._batchable(envelope)
        if item is None:
            await self._dispatcher(envelope)
            return
        self._waiting.append(item)
        if not self._kick_scheduled:
            # After the other deliveries of this loop iteration have joined the queue.
            self._kick_scheduled = True
            asyncio.get_running_loop().call_soon(self._kick)
        await item.done

    def batches(self, envelope: Envelope) -> bool:
        """Whether the message shares a transaction: its handler declared its work one
        transaction with nothing outside the database (so it needs no lease either)."""
        return self._accepted(envelope) is not None

    def _batchable(self, envelope: Envelope) -> _Item | None:
        accepted = self._accepted(envelope)
        if accepted is None:
            return None
        handler, message = accepted
        return _Item(envelope, message, handler, asyncio.get_running_loop().create_future())

    def _accepted(self, envelope: Envelope) -> tuple[Handler, Message] | None:
        if envelope.type in self._never:
            return None
        handler = self._dispatcher.handler_for(envelope.type)
        accepts = _ONE_TRANSACTION.get(handler) if handler is not None else None
        if handler is None or accepts is None:
            return None
        try:
            message = parse_payload(envelope)
        except Exception:
            return None  # the dispatcher reports it
        return (handler, message) if accepts(message) else None

    def _kick(self) -> None:
        self._kick_scheduled = False
        while self._waiting and len(self._running) < self._max_running:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._kick()

    async def _run(self, batch: list[_Item]) -> None:
        started = time.perf_counter()
        try:
            outcomes = await self._in_one_transaction(batch)
        except Exception as exc:
            if len(batch) > 1:
                for item in batch:  # alone, in delivery order: each fails only for itself
                    await self._run([item])
            elif isinstance(exc, NotCommitted):  # rolled back, as its own transaction would be
                self._settle(batch[0], "handled", started)
            else:
                self._settle(batch[0], "failed", started, exc)
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            self._settle(item, outcome, started)

    async def _in_one_transaction(self, batch: list[_Item]) -> list[str]:
        store = self._dispatcher.store
        envelopes = [item.envelope for item in batch]
        async with BatchUnitOfWork(
            store.engine,
            outbox=store.outbox,
            inbox=store.inbox,
            producer=store.service,
            correlation_id=envelopes[0].correlation_id,
        ) as uow:
            fresh = await uow.record_processed_many(envelopes)
            outcomes = [await self._handle(uow, item, fresh) for item in batch]
            await uow.commit_batch()
        return outcomes

    async def _handle(self, uow: BatchUnitOfWork, item: _Item, fresh: set[uuid.UUID]) -> str:
        envelope = item.envelope
        if envelope.message_id not in fresh:
            return "duplicate"
        # What the handler publishes carries its own message's correlation id.
        uow.correlation_id = envelope.correlation_id
        uow.handler_opened = uow.handler_committed = False
        context = BatchedContext(envelope=envelope, store=self._dispatcher.store, shared=uow)
        with correlation_scope(envelope.correlation_id):
            await item.handler(item.message, context)
        if uow.handler_opened and not uow.handler_committed:
            raise NotCommitted(envelope.type)
        return "handled"

    def _settle(
        self, item: _Item, outcome: str, started: float, exc: BaseException | None = None
    ) -> None:
        with correlation_scope(item.envelope.correlation_id):
            self._dispatcher.observe(item.envelope, outcome, time.perf_counter() - started)
        if item.done.done():
            return  # the consumer stopped waiting; unacknowledged, it comes back as a duplicate
        if exc is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(exc)
