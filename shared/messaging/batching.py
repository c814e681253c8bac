"""Handle the messages that arrive together in one transaction.

Most messages a service consumes are projections and notifications: one transaction, no
I/O outside it. Run one at a time, each pays for its inbox check, BEGIN, inbox row,
outbox row and COMMIT; under load these round trips are most of a service's CPU. Handlers
registered with ``one_transaction`` are therefore run in batches: the messages waiting when
a batch starts (up to ``max_batch``) share one transaction, which runs their handlers one
after another in delivery order, then records their ids in the inbox and writes all their
outbox rows with one statement, and commits. A message already processed (a redelivery)
makes that statement find fewer new inbox rows than messages: the batch rolls back and
its messages run again alone, each looking at the inbox first (the duplicate is skipped). Each message's ``dispatch`` call returns only after that commit, so
the consumer still acknowledges after the commit.

Guarantees kept:
- inbox: the batch's inbox rows commit with its effects; a duplicate commits nothing and
  is skipped on its second run;
- order per resource: the consumer's sequencer lets a message through only once the
  previous one about its subject has been acknowledged, so one batch never holds two
  messages about one resource, and a later batch sees the earlier one's commit;
- failure: if any handler of a batch fails, the batch rolls back and each of its messages
  runs again alone, so one bad message only fails (and is parked or requeued) on its own;
- leases (handoff.py): a message handled under its subject's lease joins a batch through
  ``fenced``. The batch's transaction inserts the lease rows of its fenced subjects first
  and deletes them just before it commits: no other replica can take those leases while
  the batch runs (the rows' keys are held until the commit), none ever sees them, and a
  crash leaves nothing to resume (there is nothing outside the database to redo). A
  subject whose lease another holder has is left out of the batch: ``fenced`` returns
  False and the message waits for the lease like any other.

After-commit work (dispatch.py): the handlers' registrations are kept by the batch's
transaction and run, in delivery order, once its COMMIT returned and before its messages
are settled; a batch that rolls back drops them with everything else, and each message
that then runs again alone registers its work again (a duplicate, skipped, registers none).

A batch starts as soon as a slot is free, so a lone message waits for nothing; the
messages that come while the slots are busy wait and form the next batches, so batches grow
with the load. One slot unless the service asks for more (``ServiceDefinition.batch_slots``:
the scheduler runs two); with more, the messages waiting are shared among the free slots:
with two, half of them go in each of two batches whose transactions overlap, one waiting
for PostgreSQL while the other runs Python (one batch of them all leaves the database idle
while its handlers run, and the handlers idle while it works). That pays for the
scheduler's creates; on two cores that the whole suite shares, two slots in every process
cost more CPU per device than they save. A
batch whose handlers ran no statement (they only announce) sends its last statement
without BEGIN and COMMIT: one statement is a transaction of its own.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import Table

from shared.contracts.envelope import Envelope, Message
from shared.contracts.registry import parse_payload
from shared.db.raw import CommitSql, Driver, LeaseSql
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import (
    AfterCommitWork,
    Dispatcher,
    Handler,
    HandlerContext,
    run_after_commit,
)
from shared.messaging.errors import DependencyNotYetKnown
from shared.messaging.leases import CURRENT_LEASE
from shared.observability.context import correlation_scope
from shared.observability.metrics import MESSAGE_BATCH_SIZE

# Handler -> which of its messages it handles in one transaction (no I/O outside it).
_ONE_TRANSACTION: dict[Handler, Callable[[Any], bool]] = {}


def one_transaction(
    when: Callable[[Any], bool] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare that the handler's work is one transaction of the ``HandlerContext`` (or
    several that may as well be one) with no side effect outside the database, for every
    message or for those ``when`` accepts: such messages may share a transaction. Work that
    must follow the commit is registered with ``HandlerContext.after_commit``."""

    def register(handler: Handler) -> Handler:
        _ONE_TRANSACTION[handler] = when or (lambda _message: True)
        return handler

    return register


class LeaseBusy(Exception):
    """The subject's lease is held elsewhere: the message was left out of its batch."""


class DuplicateInBatch(Exception):
    """A message of an optimistic batch had been processed already: the batch rolls back
    and its messages run again, each alone, looking at the inbox first."""


class NotCommitted(Exception):
    """A handler left its transaction without committing: it meant to change nothing,
    which only a transaction of its own can do."""


class BatchUnitOfWork(UnitOfWork):
    """The batch's transaction, lent to each handler in turn: its ``commit`` only records
    that the handler wanted its work kept; the batch commits once every handler ran."""

    handler_opened = False
    handler_committed = False
    # The leases this batch holds, if any: (table, subjects, tokens), given up at commit.
    held: tuple[Table, list[str], list[int]] | None = None
    # The messages the commit records in the inbox (an optimistic batch; see _run).
    unrecorded: Sequence[Envelope] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The handlers' after-commit work, run once this transaction committed.
        self.after_commit_work: list[AfterCommitWork] = []

    async def commit(self) -> None:
        self.handler_committed = True

    async def hold_leases(self, leases: Table, items: list[_Item]) -> set[str]:
        """Take the leases of these items' subjects in this transaction; returns the
        subjects taken (the others are held by someone else)."""
        driver = await self._driver_in_transaction()
        rows = await driver.fetch(
            LeaseSql.of(leases).hold_many,
            [item.envelope.subject_id for item in items],
            [item.envelope.message_id for item in items],
            f"batch of {self._producer}",
        )
        self.held = (leases, [row["subject"] for row in rows], [row["token"] for row in rows])
        return {row["subject"] for row in rows}

    async def commit_batch(self) -> None:
        """The inbox rows still to record, the release of the leases and the outbox rows in
        one statement, then COMMIT. Raises DuplicateInBatch (nothing committed) if one of
        the messages recorded here had been processed already.

        When nothing ran before it (handlers that only announce), that statement is the
        whole transaction: sent on its own, without the BEGIN and COMMIT round trips."""
        parameters: list[list[Any]] = []
        inbox = self._inbox if self.unrecorded else None
        if inbox is not None:
            parameters += [
                [e.message_id for e in self.unrecorded],
                [e.type for e in self.unrecorded],
            ]
        leases = None
        if self.held is not None and self.held[1]:
            leases, subjects, tokens = self.held
            parameters += [subjects, tokens]
        rows, self._pending = self._pending, []
        outbox = self._outbox if rows else None
        if outbox is not None:
            parameters += [list(column) for column in zip(*rows, strict=True)]
            self._announced = True
        if parameters:
            driver = await self._statement_driver()
            try:
                await driver.fetchval(CommitSql.of(inbox, leases, outbox), *parameters)
            except asyncpg.DivisionByZeroError as exc:  # CommitSql: an inbox row was there
                raise DuplicateInBatch() from exc
        await UnitOfWork.commit(self)  # nothing pending: COMMIT alone, if anything began

    async def _statement_driver(self) -> asyncpg.Connection:
        """Where the batch's last statement goes: into the transaction if one began, else
        on its own (a statement is atomic: the batch is still all or nothing)."""
        if self._driver is None:
            self._driver = await Driver.under(self.conn)
        if self._driver.began:
            return await self._driver_in_transaction()
        return self._driver.outside_transaction()

    async def record_processed(self, envelope: Envelope) -> None:
        """The batch recorded every message it runs before the first handler."""


@dataclass
class BatchedContext(HandlerContext):
    shared: BatchUnitOfWork = field(kw_only=True)

    def __post_init__(self) -> None:
        # Registered with the batch's transaction: run after its commit, dropped with it.
        self.after_commit_work = self.shared.after_commit_work

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
    # Handled under its subject's lease, held by the batch's transaction.
    fenced: bool = False


class BatchingDispatcher:
    """A Dispatcher whose one-transaction messages share transactions (see the module)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        max_batch: int,
        max_running: int = 1,
        leases: Table | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        # The service's lease table: the fenced messages' leases are taken there.
        self._leases = leases
        self._max_batch = max_batch
        self._max_running = max_running
        self._waiting: list[_Item] = []
        self._running: set[asyncio.Task[None]] = set()
        self._kick_scheduled = False

    def handled_types(self) -> set[str]:
        return self._dispatcher.handled_types()

    async def __call__(self, envelope: Envelope) -> None:
        # Under a lease already (handoff.py): its transactions are fenced by it, alone.
        item = None if CURRENT_LEASE.get() is not None else self._batchable(envelope)
        if item is None:
            await self._dispatcher(envelope)
            return
        await self._join(item)

    async def fenced(self, envelope: Envelope) -> bool:
        """Handle a message that needs its subject's lease in a batch whose transaction
        holds that lease. False, having done nothing, when its handler is not one
        transaction for it, when another holder has the lease, or when it must wait for a
        resource another message creates (rolled back): it needs a lease of its own, under
        which it waits (not_yet.py)."""
        item = self._batchable(envelope) if self._leases is not None else None
        if item is None:
            return False
        item.fenced = True
        try:
            await self._join(item)
        except (LeaseBusy, DependencyNotYetKnown):
            return False
        return True

    async def _join(self, item: _Item) -> None:
        self._waiting.append(item)
        if not self._kick_scheduled:
            # After the other deliveries of this loop iteration have joined the queue.
            self._kick_scheduled = True
            asyncio.get_running_loop().call_soon(self._kick)
        await item.done

    def _batchable(self, envelope: Envelope) -> _Item | None:
        handler = self._dispatcher.handler_for(envelope.type)
        accepts = _ONE_TRANSACTION.get(handler) if handler is not None else None
        if handler is None or accepts is None:
            return None
        try:
            message = parse_payload(envelope)
        except Exception:
            return None  # the dispatcher reports it
        if not accepts(message):
            return None
        return _Item(envelope, message, handler, asyncio.get_running_loop().create_future())

    def _kick(self) -> None:
        self._kick_scheduled = False
        while self._waiting and len(self._running) < self._max_running:
            # What waits is shared among the free slots: two half batches overlap, one's
            # statements running while the other's handlers run Python.
            free = self._max_running - len(self._running)
            size = min(self._max_batch, -(-len(self._waiting) // free))
            batch = self._waiting[:size]
            del self._waiting[:size]
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._kick()

    async def _run(self, batch: list[_Item], *, optimistic: bool = True) -> None:
        """An optimistic batch records its messages in the inbox with its last statement
        (one round trip fewer), trusting they are new: redeliveries are rare. If one was
        not, or anything fails, the batch rolls back and its messages run again alone,
        each looking at the inbox first (a duplicate's handler is not run then)."""
        started = time.perf_counter()
        try:
            outcomes, after_commit = await self._in_one_transaction(batch, optimistic=optimistic)
        except Exception as exc:
            if len(batch) > 1 or (optimistic and not isinstance(exc, NotCommitted)):
                for item in batch:  # alone, in delivery order: each fails only for itself
                    await self._run([item], optimistic=False)
            elif isinstance(exc, NotCommitted):  # rolled back, as its own transaction would be
                self._settle(batch[0], "handled", started)
            else:
                self._settle(batch[0], "failed", started, exc)
            return
        await run_after_commit(after_commit)
        for item, outcome in zip(batch, outcomes, strict=True):
            self._settle(item, outcome, started)

    async def _in_one_transaction(
        self, batch: list[_Item], *, optimistic: bool
    ) -> tuple[list[str], list[AfterCommitWork]]:
        """Each item's outcome, and the after-commit work of the committed transaction."""
        store = self._dispatcher.store
        envelopes = [item.envelope for item in batch]
        MESSAGE_BATCH_SIZE.labels(store.service).observe(len(batch))
        async with BatchUnitOfWork(
            store.engine,
            outbox=store.outbox,
            inbox=store.inbox,
            producer=store.service,
            correlation_id=envelopes[0].correlation_id,
        ) as uow:
            busy = await self._hold_leases(uow, batch)
            left_out = {
                id(item) for item in batch if item.fenced and item.envelope.subject_id in busy
            }
            running = [item.envelope for item in batch if id(item) not in left_out]
            if optimistic:
                uow.unrecorded = running
                fresh = {envelope.message_id for envelope in running}
            else:
                fresh = await uow.record_processed_many(running)
            outcomes = [
                "busy" if id(item) in left_out else await self._handle(uow, item, fresh)
                for item in batch
            ]
            await uow.commit_batch()
        return outcomes, uow.after_commit_work

    async def _hold_leases(self, uow: BatchUnitOfWork, batch: list[_Item]) -> set[str]:
        """The fenced items' subjects whose lease another holder has."""
        fenced = [item for item in batch if item.fenced]
        if not fenced or self._leases is None:
            return set()
        taken = await uow.hold_leases(self._leases, fenced)
        return {item.envelope.subject_id for item in fenced} - taken

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
        if isinstance(exc, DependencyNotYetKnown):
            outcome = "not_yet"  # handled again shortly (not_yet.py): no failure
        if outcome != "busy":  # not handled here: it is counted where it is
            with correlation_scope(item.envelope.correlation_id):
                self._dispatcher.observe(item.envelope, outcome, time.perf_counter() - started)
        if item.done.done():
            return  # the consumer stopped waiting; unacknowledged, it comes back as a duplicate
        if outcome == "busy":
            item.done.set_exception(LeaseBusy(item.envelope.subject_id))
        elif exc is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(exc)
