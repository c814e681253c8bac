"""Resource leases between replicas (real Postgres, lifecycle's schema; no bus, no services):
one replica at a time handles a resource's message, a stale holder's writes are refused, a
long handler is handed off and still runs once, and a dead replica's operation is resumed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from servicevm_lifecycle.adapters.orm import resource_leases
from servicevm_lifecycle.bootstrap import DEFINITION as LIFECYCLE
from shared.config import Settings
from shared.contracts import commands
from shared.contracts.envelope import Envelope
from shared.messaging.batching import BatchingDispatcher, one_transaction
from shared.messaging.dispatch import Dispatcher, HandlerContext, ServiceStore
from shared.messaging.handoff import LeasedDispatch
from shared.messaging.leases import CURRENT_LEASE, LeaseLost, LeaseStore
from shared.runtime import build_store
from tests.support.db import database_of_its_own

TENANT = "lease-test"
LEASE_SECONDS = 1.0


@pytest.fixture(scope="module")
def private_database(database: Settings) -> Iterator[Settings]:
    """A database of this module's own: the session's suite (started by the end-to-end
    tests) keeps running, and its lifecycle sweeps the shared database for expired leases,
    so it would take over the leases these tests let expire on purpose."""
    with database_of_its_own(database, "leases") as own:
        yield own


@pytest.fixture
async def store(private_database: Settings) -> AsyncIterator[ServiceStore]:
    made = build_store(LIFECYCLE, private_database)
    try:
        yield made
    finally:
        async with made.engine.begin() as conn:
            await conn.execute(delete(resource_leases))
        await made.engine.dispose()


class SlowHandler:
    """Counts its runs; each takes ``seconds`` and ends with the final transaction."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.runs: list[str] = []
        self.spans: list[tuple[float, float]] = []  # (started, ended) of each run

    async def __call__(self, cmd: commands.DeleteDevice, ctx: HandlerContext) -> None:
        self.runs.append(str(cmd.id))
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(self.seconds)
        async with ctx.transaction(final=True) as uow:
            await uow.commit()
        self.spans.append((started, asyncio.get_running_loop().time()))


def replica(
    store: ServiceStore, handler: SlowHandler, name: str, *, handoff_after: float = 10.0
) -> LeasedDispatch:
    dispatcher = Dispatcher(store, {commands.DeleteDevice: handler})
    leases = LeaseStore(store.engine, resource_leases, owner=name, seconds=LEASE_SECONDS)
    return LeasedDispatch(
        dispatcher, leases, handoff_after=handoff_after, lease_seconds=LEASE_SECONDS
    )


def command() -> Envelope:
    return Envelope.wrap(
        commands.DeleteDevice(id=uuid.uuid4()),
        correlation_id=f"req-lease-{uuid.uuid4()}",
        tenant_id=TENANT,
        producer="api",
    )


async def lease_rows(store: ServiceStore) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(resource_leases)) or 0)


async def test_a_message_redelivered_to_a_second_replica_runs_once(store: ServiceStore) -> None:
    handler = SlowHandler(0.6)
    first, second = replica(store, handler, "one"), replica(store, handler, "two")
    envelope = command()
    # The same delivery at both replicas (the first's connection dropped mid-handler).
    running = asyncio.create_task(first(envelope))
    await asyncio.sleep(0.1)
    await asyncio.wait_for(asyncio.gather(running, second(envelope)), 10)
    assert handler.runs == [envelope.subject_id]
    assert await lease_rows(store) == 0


async def test_messages_of_one_resource_run_one_at_a_time_across_replicas(
    store: ServiceStore,
) -> None:
    handler = SlowHandler(0.3)
    first, second = replica(store, handler, "one"), replica(store, handler, "two")
    one, other = command(), command()
    other = other.model_copy(update={"subject_id": one.subject_id})
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(asyncio.gather(first(one), second(other)), 10)
    # Both ran, one after the other (never overlapping under one lease).
    assert len(handler.runs) == 2
    assert asyncio.get_running_loop().time() - started >= 0.6


async def test_a_stale_holder_cannot_write(store: ServiceStore) -> None:
    leases = LeaseStore(store.engine, resource_leases, owner="stale", seconds=LEASE_SECONDS)
    envelope = command()
    stale = await leases.try_acquire(envelope)
    assert stale is not None
    async with store.engine.begin() as conn:  # it stalled past its expiry
        await conn.execute(update(resource_leases).values(expires_at=func.now()))
    taken = await LeaseStore(
        store.engine, resource_leases, owner="new", seconds=LEASE_SECONDS
    ).take_over_expired(limit=5, subject=envelope.subject_id)
    assert [lease.token > stale.token for lease, _ in taken] == [True]
    ctx = HandlerContext(envelope=envelope, store=store)

    async def write_as_stale() -> None:
        CURRENT_LEASE.set(stale)
        async with ctx.transaction(final=True) as uow:
            await uow.commit()

    with pytest.raises(LeaseLost):
        await asyncio.create_task(write_as_stale())


async def test_a_long_handler_is_handed_off_and_finishes_once(store: ServiceStore) -> None:
    handler = SlowHandler(0.8)
    first = replica(store, handler, "one", handoff_after=0.1)
    envelope = command()
    await asyncio.wait_for(first(envelope), 2)  # returned: the consumer would ack now
    assert await lease_rows(store) == 1  # the lease keeps the operation meanwhile
    for _ in range(100):
        if not first.running():
            break
        await asyncio.sleep(0.05)
    assert handler.runs == [envelope.subject_id]
    assert await lease_rows(store) == 0


async def test_a_dead_replicas_operation_is_resumed_by_another(store: ServiceStore) -> None:
    handler = SlowHandler(0.0)
    envelope = command()
    # What a replica leaves when it dies mid-operation after handing its message off.
    dead = LeaseStore(store.engine, resource_leases, owner="dead", seconds=0.1)
    assert await dead.try_acquire(envelope) is not None
    survivor = replica(store, handler, "survivor")
    sweeping: asyncio.Task[Any] = asyncio.create_task(survivor.sweep(0.2))
    try:
        for _ in range(100):
            if handler.runs and await lease_rows(store) == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        sweeping.cancel()
    assert handler.runs == [envelope.subject_id]
    assert await lease_rows(store) == 0
    # Redelivered later (the dead replica never acknowledged it): the inbox skips it.
    await survivor(envelope)
    assert handler.runs == [envelope.subject_id]


async def test_a_stopping_replica_hands_its_operation_over_at_once(store: ServiceStore) -> None:
    handler = SlowHandler(5.0)
    stopping = replica(store, handler, "stopping", handoff_after=0.1)
    envelope = command()
    await stopping(envelope)  # handed off: running under its lease
    await stopping.stop()  # SIGTERM
    taken = await LeaseStore(
        store.engine, resource_leases, owner="next", seconds=LEASE_SECONDS
    ).take_over_expired(limit=5, subject=envelope.subject_id)
    assert [resumed.message_id for _, resumed in taken] == [envelope.message_id]


async def test_unleased_types_take_no_lease_but_wait_for_the_resources_operation(
    store: ServiceStore,
) -> None:
    handler = SlowHandler(0.5)
    leased = command()
    other = Envelope.wrap(
        commands.UpdateDevice(id=uuid.UUID(leased.subject_id), kwargs={}),
        correlation_id=f"req-lease-{uuid.uuid4()}",
        tenant_id=TENANT,
        producer="api",
    )
    dispatcher = Dispatcher(store, {commands.DeleteDevice: handler, commands.UpdateDevice: handler})
    one = LeasedDispatch(
        dispatcher,
        LeaseStore(store.engine, resource_leases, owner="one", seconds=LEASE_SECONDS),
        handoff_after=0.1,
        lease_seconds=LEASE_SECONDS,
        only=frozenset({commands.DeleteDevice.TYPE}),
    )
    await one(leased)  # handed off, still running
    await asyncio.wait_for(one(other), 5)  # waited for it, without a lease of its own
    (_, first_ended), (second_started, _) = handler.spans
    assert second_started >= first_ended
    assert await lease_rows(store) == 0


# Transaction ids of the runs of ``recorded_at_once``, by device id.
BATCHED_RUNS: dict[str, int] = {}
# Cleared: the batch's handler waits in its transaction until it is set.
HOLD_BATCH = asyncio.Event()
HOLD_BATCH.set()


@one_transaction()
async def recorded_at_once(cmd: commands.DeleteDevice, ctx: HandlerContext) -> None:
    """A handler under a lease that is one transaction: it may run in a batch."""
    async with ctx.transaction(final=True) as uow:
        BATCHED_RUNS[str(cmd.id)] = int(await uow.conn.scalar(text("SELECT txid_current()")) or 0)
        await HOLD_BATCH.wait()
        await uow.commit()


async def committed(store: ServiceStore, txid: int | None) -> bool | None:
    """Whether that transaction committed (None: there was none)."""
    if txid is None:
        return None
    async with store.engine.connect() as conn:
        status = await conn.scalar(text("SELECT txid_status(:txid)"), {"txid": txid})
    return str(status) == "committed"


def batching_replica(store: ServiceStore, name: str) -> LeasedDispatch:
    batching = BatchingDispatcher(
        Dispatcher(store, {commands.DeleteDevice: recorded_at_once}),
        max_batch=10,
        max_running=1,
        leases=resource_leases,
    )
    return LeasedDispatch(
        batching,
        LeaseStore(store.engine, resource_leases, owner=name, seconds=LEASE_SECONDS),
        handoff_after=10.0,
        lease_seconds=LEASE_SECONDS,
        fenced=batching.fenced,
    )


async def test_leased_one_transaction_messages_share_a_transaction_that_holds_their_leases(
    store: ServiceStore,
) -> None:
    one = batching_replica(store, "one")
    envelopes = [command() for _ in range(4)]
    await asyncio.wait_for(asyncio.gather(*(one(envelope) for envelope in envelopes)), 10)
    runs = {envelope.subject_id: BATCHED_RUNS.get(envelope.subject_id) for envelope in envelopes}
    assert None not in runs.values()
    assert len(set(runs.values())) == 1  # one transaction for the four
    assert await lease_rows(store) == 0  # taken and given up in it
    for envelope in envelopes:  # redelivered: the inbox keeps them from committing again
        BATCHED_RUNS.pop(envelope.subject_id)
        await one(envelope)
        assert await committed(store, BATCHED_RUNS.get(envelope.subject_id)) is False


async def test_a_batched_message_waits_for_a_lease_held_elsewhere(store: ServiceStore) -> None:
    envelope = command()
    other = LeaseStore(store.engine, resource_leases, owner="other", seconds=60.0)
    held = await other.try_acquire(command().model_copy(update={"subject_id": envelope.subject_id}))
    assert held is not None
    handling = asyncio.create_task(batching_replica(store, "one")(envelope))
    await asyncio.sleep(0.5)
    assert not handling.done()
    assert envelope.subject_id not in BATCHED_RUNS  # not run while another holds the lease
    await other.release(held)
    await asyncio.wait_for(handling, 10)
    assert envelope.subject_id in BATCHED_RUNS
    assert await lease_rows(store) == 0


async def test_a_lease_held_by_a_batch_is_not_taken_until_it_commits(
    store: ServiceStore,
) -> None:
    """Another replica asking for the lease while a batch holds it in its open transaction
    waits for that commit, then gets it (the batch gave it up)."""
    envelope = command()
    leases = LeaseStore(store.engine, resource_leases, owner="other", seconds=LEASE_SECONDS)
    HOLD_BATCH.clear()
    handling = asyncio.create_task(batching_replica(store, "one")(envelope))
    for _ in range(100):  # until the batch's handler runs (the lease is held)
        if envelope.subject_id in BATCHED_RUNS:
            break
        await asyncio.sleep(0.02)
    asking = asyncio.create_task(
        leases.try_acquire(command().model_copy(update={"subject_id": envelope.subject_id}))
    )
    await asyncio.sleep(0.3)
    assert not asking.done()  # waits on the batch's row
    HOLD_BATCH.set()
    await asyncio.wait_for(handling, 5)
    taken = await asyncio.wait_for(asking, 5)
    assert taken is not None  # the batch gave it up when it committed
    await leases.release(taken)


async def test_the_handlers_final_transaction_gives_the_lease_up(store: ServiceStore) -> None:
    """The release commits with the message's inbox row, in its final transaction: no
    statement of its own afterwards."""
    rows_after_commit: list[int] = []

    async def handler(cmd: commands.DeleteDevice, ctx: HandlerContext) -> None:
        async with ctx.transaction() as uow:  # fenced, lease kept
            await uow.commit()
        rows_after_commit.append(await lease_rows(store))
        async with ctx.transaction(final=True) as uow:
            await uow.commit()
        rows_after_commit.append(await lease_rows(store))

    dispatcher = Dispatcher(store, {commands.DeleteDevice: handler})
    one = LeasedDispatch(
        dispatcher,
        LeaseStore(store.engine, resource_leases, owner="one", seconds=LEASE_SECONDS),
        handoff_after=10.0,
        lease_seconds=LEASE_SECONDS,
    )
    await asyncio.wait_for(one(command()), 10)
    assert rows_after_commit == [1, 0]
