"""Messages that arrive together share one transaction, and each still gets what it would
alone: its effects and inbox row commit together, a duplicate is skipped, a failing message
fails on its own (real Postgres, mgmt's schema; no bus, no services)."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy import delete, func, select, text

from servicevm_mgmt.adapters import repository as mgmt_repo
from servicevm_mgmt.adapters.orm import managed_devices
from servicevm_mgmt.bootstrap import DEFINITION as MGMT
from shared.config import Settings
from shared.contracts import commands, events
from shared.contracts.envelope import Envelope
from shared.db.relay_wakeup import relay_here
from shared.db.uow import UnitOfWork
from shared.messaging.batching import BatchingDispatcher, one_transaction
from shared.messaging.dispatch import Dispatcher, HandlerContext, ServiceStore
from shared.runtime import build_store
from tests.support.db import database_of_its_own

TENANT = "batch-test"
# Transaction ids seen by the handlers, by message id.
SEEN: dict[uuid.UUID, int] = {}
FAIL: set[uuid.UUID] = set()
LEAVE_UNCOMMITTED: set[uuid.UUID] = set()


# What each after-commit work saw, by message id: the status of the transaction that
# registered it, whether the device it recorded and its inbox row were there.
LOOKED: dict[uuid.UUID, list[tuple[str, bool, bool]]] = {}
FAIL_AFTER: set[uuid.UUID] = set()


async def _record_and_announce(uow: UnitOfWork, cmd: commands.DeleteVim) -> None:
    await mgmt_repo.record_configuration(
        uow.conn,
        device_id=cmd.id,
        tenant_id=TENANT,
        mgmt_driver="noop",
        mgmt_address=None,
        configuration={},
        parameters={},
    )
    SEEN[cmd.id] = int(await uow.conn.scalar(text("SELECT txid_current()")) or 0)
    checked = events.VimStatusChanged(
        vim_id=cmd.id, tenant_id=TENANT, status="REACHABLE", status_reason=None, revision=1
    )
    await uow.publish(checked, tenant_id=TENANT)


@one_transaction()
async def record(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
    """Records a managed device named after the command and announces it."""
    async with ctx.transaction(final=True) as uow:
        await _record_and_announce(uow, cmd)
        if cmd.id in FAIL:
            raise RuntimeError(f"a bug in the handler of {cmd.id}")
        if cmd.id not in LEAVE_UNCOMMITTED:
            await uow.commit()


@one_transaction()
async def record_then_look(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
    """``record``, registering (before its commit) a look at what it committed."""
    async with ctx.transaction(final=True) as uow:
        await _record_and_announce(uow, cmd)
        ctx.after_commit(functools.partial(_look, ctx, cmd.id, SEEN[cmd.id]))
        if cmd.id in FAIL:
            raise RuntimeError(f"a bug in the handler of {cmd.id}")
        if cmd.id not in LEAVE_UNCOMMITTED:
            await uow.commit()


async def _look(ctx: HandlerContext, device_id: uuid.UUID, transaction: int) -> None:
    if device_id in FAIL_AFTER:
        raise RuntimeError(f"a bug in the after-commit work of {device_id}")
    inbox = ctx.store.inbox
    async with ctx.store.engine.connect() as conn:
        status = await conn.scalar(text("SELECT txid_status(:t)"), {"t": transaction})
        device = await conn.scalar(
            select(managed_devices.c.id).where(managed_devices.c.id == device_id)
        )
        processed = await conn.scalar(
            select(inbox.c.message_id).where(inbox.c.message_id == ctx.envelope.message_id)
        )
    LOOKED.setdefault(device_id, []).append((status, device is not None, processed is not None))


@one_transaction()
async def announce(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
    """Only announces (as mgmt's notifications do): no statement of its own."""
    async with ctx.transaction(final=True) as uow:
        checked = events.VimStatusChanged(
            vim_id=cmd.id, tenant_id=TENANT, status="REACHABLE", status_reason=None, revision=1
        )
        await uow.publish(checked, tenant_id=TENANT)
        await uow.commit()


@pytest.fixture
def simple_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements sent with the simple-query protocol (BEGIN, COMMIT, ROLLBACK)."""
    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def recording(self: asyncpg.Connection, query: str, *args: object, **kw: object) -> str:
        if not args:
            sent.append(query.strip().rstrip(";").split()[0].upper())
        status: str = await execute(self, query, *args, **kw)
        return status

    monkeypatch.setattr(asyncpg.Connection, "execute", recording)
    return sent


@pytest.fixture(scope="module")
def quiet_database(database: Settings) -> Iterator[Settings]:
    """A database of this module's own: the suite's mgmt relay would publish and delete the
    outbox rows these tests count."""
    with database_of_its_own(database, "batching") as own:
        yield own


@pytest.fixture
async def store(quiet_database: Settings) -> AsyncIterator[ServiceStore]:
    made = build_store(MGMT, quiet_database)
    try:
        yield made
    finally:
        async with made.engine.begin() as conn:
            await conn.execute(
                delete(made.outbox).where(made.outbox.c.correlation_id.like("req-batch-%"))
            )
            await conn.execute(delete(managed_devices).where(managed_devices.c.tenant_id == TENANT))
        await made.engine.dispose()


def _envelope(vim_id: uuid.UUID) -> Envelope:
    return Envelope.wrap(
        commands.DeleteVim(id=vim_id),
        correlation_id=f"req-batch-{vim_id}",
        tenant_id=TENANT,
        producer="test",
    )


def _batching(store: ServiceStore) -> BatchingDispatcher:
    return BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: record}), max_batch=10, max_running=1
    )


async def _recorded(store: ServiceStore, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(managed_devices.c.id).where(managed_devices.c.id.in_(ids)))
    return {row.id for row in rows}


async def _announced(store: ServiceStore, ids: list[uuid.UUID]) -> dict[str, int]:
    """Outbox rows by correlation id, for these messages."""
    outbox = store.outbox
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.correlation_id, func.count())
            .where(outbox.c.correlation_id.in_([f"req-batch-{i}" for i in ids]))
            .group_by(outbox.c.correlation_id)
        )
    return {row[0]: row[1] for row in rows}


async def test_messages_arriving_together_share_one_transaction(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    dispatch = _batching(store)

    await asyncio.gather(*(dispatch(_envelope(i)) for i in ids))

    assert len({SEEN[i] for i in ids}) == 1
    assert await _recorded(store, ids) == set(ids)
    # Each message's outgoing row carries its own correlation id.
    assert await _announced(store, ids) == {f"req-batch-{i}": 1 for i in ids}


async def test_with_two_slots_the_waiting_messages_are_shared_between_two_batches(
    store: ServiceStore,
) -> None:
    ids = [uuid.uuid4() for _ in range(7)]
    dispatch = BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: record}), max_batch=10, max_running=2
    )

    await asyncio.gather(*(dispatch(_envelope(i)) for i in ids))

    by_transaction = Counter(SEEN[i] for i in ids)
    assert sorted(by_transaction.values()) == [3, 4]
    # In delivery order: the first batch took the first four.
    assert SEEN[ids[0]] == SEEN[ids[3]] != SEEN[ids[4]] == SEEN[ids[6]]
    assert await _recorded(store, ids) == set(ids)


async def test_a_redelivered_message_in_a_batch_is_skipped(store: ServiceStore) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    delivered = _envelope(first)
    dispatch = _batching(store)
    await dispatch(delivered)
    SEEN.pop(first)

    await asyncio.gather(dispatch(delivered), dispatch(_envelope(second)))

    # Its work did not commit again: the batch that ran it (trusting it was new) rolled
    # back when the inbox said otherwise, and alone it was skipped.
    if first in SEEN:
        async with store.engine.connect() as conn:
            status = await conn.scalar(text("SELECT txid_status(:t)"), {"t": SEEN[first]})
        assert status == "aborted"
    assert await _announced(store, [first, second]) == {
        f"req-batch-{first}": 1,
        f"req-batch-{second}": 1,
    }


async def test_a_failing_message_fails_alone_and_the_others_commit(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(4)]
    bad = ids[1]
    FAIL.add(bad)
    dispatch = _batching(store)
    envelopes = [_envelope(i) for i in ids]

    results = await asyncio.gather(*(dispatch(e) for e in envelopes), return_exceptions=True)

    assert [isinstance(r, RuntimeError) for r in results] == [False, True, False, False]
    assert await _recorded(store, ids) == set(ids) - {bad}
    assert f"req-batch-{bad}" not in await _announced(store, ids)
    # Not recorded as processed either: its redelivery runs the handler again.
    FAIL.discard(bad)
    await dispatch(envelopes[1])
    assert await _recorded(store, [bad]) == {bad}


async def test_a_handler_that_does_not_commit_changes_nothing(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    LEAVE_UNCOMMITTED.add(ids[0])
    dispatch = _batching(store)
    envelopes = [_envelope(i) for i in ids]

    await asyncio.gather(*(dispatch(e) for e in envelopes))

    assert await _recorded(store, ids) == set(ids[1:])
    LEAVE_UNCOMMITTED.discard(ids[0])
    await dispatch(envelopes[0])  # it was not recorded as processed
    assert await _recorded(store, ids) == set(ids)


async def test_a_message_its_handler_does_not_declare_runs_on_its_own(
    store: ServiceStore,
) -> None:
    """Without ``one_transaction`` a handler keeps its own transactions (and its shape)."""
    transactions: list[int] = []

    async def alone(cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
        async with ctx.transaction(final=True) as uow:
            transactions.append(int(await uow.conn.scalar(text("SELECT txid_current()")) or 0))
            await uow.commit()

    dispatch = BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: alone}), max_batch=10, max_running=1
    )
    await asyncio.gather(*(dispatch(_envelope(uuid.uuid4())) for _ in range(3)))

    assert len(set(transactions)) == 3


async def test_a_batch_that_only_announces_is_one_statement_without_begin(
    store: ServiceStore, simple_queries: list[str]
) -> None:
    ids = [uuid.uuid4() for _ in range(4)]
    dispatch = BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: announce}), max_batch=10, max_running=1
    )
    envelopes = [_envelope(i) for i in ids]
    async with store.engine.connect():
        simple_queries.clear()  # the engine's first connection reads the server's settings

    # As in mgmt's process, whose relay runs beside its handlers: woken without a NOTIFY.
    with relay_here(store.engine, store.service, lambda: None):
        await asyncio.gather(*(dispatch(e) for e in envelopes))

    assert simple_queries == []  # no BEGIN, no COMMIT: the statement commits on its own
    assert await _announced(store, ids) == {f"req-batch-{i}": 1 for i in ids}
    assert await _processed(store, envelopes) == {e.message_id for e in envelopes}


async def test_a_duplicate_in_a_batch_without_begin_keeps_nothing_of_the_statement(
    store: ServiceStore,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    delivered = _envelope(first)
    dispatch = BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: announce}), max_batch=10, max_running=1
    )
    await dispatch(delivered)
    other = _envelope(second)

    await asyncio.gather(dispatch(delivered), dispatch(other))

    # The batch's one statement failed whole (the duplicate's announcement was not written
    # again); alone, the duplicate was skipped and the other message announced once.
    assert await _announced(store, [first, second]) == {
        f"req-batch-{first}": 1,
        f"req-batch-{second}": 1,
    }
    assert await _processed(store, [delivered, other]) == {
        delivered.message_id,
        other.message_id,
    }


async def _processed(store: ServiceStore, envelopes: list[Envelope]) -> set[uuid.UUID]:
    inbox = store.inbox
    ids = [envelope.message_id for envelope in envelopes]
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(inbox.c.message_id).where(inbox.c.message_id.in_(ids)))
    return {row.message_id for row in rows}


# --- after-commit work (HandlerContext.after_commit) --------------------------------------


def _looking(store: ServiceStore) -> BatchingDispatcher:
    return BatchingDispatcher(
        Dispatcher(store, {commands.DeleteVim: record_then_look}), max_batch=10, max_running=1
    )


async def test_after_commit_work_runs_after_the_batch_committed(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(4)]

    dispatch = _looking(store)

    await dispatch(_envelope(ids[0]))  # a batch of one
    await asyncio.gather(*(dispatch(_envelope(i)) for i in ids[1:]))

    assert len({SEEN[i] for i in ids[1:]}) == 1  # one batch
    # Each ran once, before its dispatch returned, and saw its batch's commit.
    assert {i: LOOKED.get(i) for i in ids} == {i: [("committed", True, True)] for i in ids}


async def test_after_commit_work_of_a_rolled_back_batch_does_not_run(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    bad = ids[1]
    FAIL.add(bad)
    dispatch = _looking(store)

    results = await asyncio.gather(*(dispatch(_envelope(i)) for i in ids), return_exceptions=True)

    assert [isinstance(r, RuntimeError) for r in results] == [False, True, False]
    # The batch registered a look for each before it rolled back: none of those ran; the
    # others' reruns alone registered theirs again, which ran after their own commits.
    assert {i: LOOKED.get(i) for i in ids} == {
        ids[0]: [("committed", True, True)],
        bad: None,
        ids[2]: [("committed", True, True)],
    }
    FAIL.discard(bad)


async def test_failing_after_commit_work_leaves_its_message_processed(store: ServiceStore) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    FAIL_AFTER.add(ids[0])
    envelopes = [_envelope(i) for i in ids]
    dispatch = _looking(store)

    await asyncio.gather(*(dispatch(e) for e in envelopes))  # no failure reaches the consumer

    assert await _processed(store, envelopes) == {e.message_id for e in envelopes}
    assert {i: LOOKED.get(i) for i in ids} == {
        ids[0]: None,
        ids[1]: [("committed", True, True)],
        ids[2]: [("committed", True, True)],
    }
    FAIL_AFTER.discard(ids[0])


async def test_after_commit_work_of_a_message_alone_runs_after_its_final_commit(
    store: ServiceStore,
) -> None:
    good, bad, uncommitted = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    FAIL.add(bad)
    LEAVE_UNCOMMITTED.add(uncommitted)
    dispatch = Dispatcher(store, {commands.DeleteVim: record_then_look})

    await dispatch(_envelope(good))
    with pytest.raises(RuntimeError):
        await dispatch(_envelope(bad))
    await dispatch(_envelope(uncommitted))

    # The other two registered their look, then their transaction rolled back.
    assert {i: LOOKED.get(i) for i in (good, bad, uncommitted)} == {
        good: [("committed", True, True)],
        bad: None,
        uncommitted: None,
    }
    FAIL.discard(bad)
    LEAVE_UNCOMMITTED.discard(uncommitted)
