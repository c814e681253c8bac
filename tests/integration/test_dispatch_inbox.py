"""The dispatcher skips a message already processed before any of its handler's code runs,
whatever the handler's shape, while the handler's final transaction records the message id
with its effects (real Postgres, mgmt's schema; no bus, no services)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt import handlers as mgmt_handlers
from servicevm_mgmt.adapters import repository as mgmt_repo
from servicevm_mgmt.adapters.orm import managed_devices
from servicevm_mgmt.bootstrap import DEFINITION as MGMT
from servicevm_mgmt.drivers.noop import NoopMgmtDriver
from shared.config import Settings
from shared.contracts import commands, events
from shared.contracts.envelope import Envelope, Message
from shared.contracts.registry import UnknownMessage
from shared.messaging.dispatch import Dispatcher, HandlerContext, ServiceStore
from shared.messaging.errors import NoHandler
from shared.runtime import build_store

TENANT = "inbox-test"


class CountingDriver(NoopMgmtDriver):
    """A management driver that counts what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def apply(self, device: Any) -> None:
        self.calls.append(f"apply {device.device_id}")

    async def apply_service(self, device: Any, service_id: str, configuration: Any) -> None:
        self.calls.append(f"apply_service {service_id}")


@pytest.fixture
async def store(database: Settings) -> AsyncIterator[ServiceStore]:
    made = build_store(MGMT, database)
    try:
        yield made
    finally:
        # What these handlers queued stays off the bus of the tests that start the suite.
        outbox = made.outbox
        async with made.engine.begin() as conn:
            await conn.execute(delete(outbox).where(outbox.c.correlation_id.like("req-inbox-%")))
        await made.engine.dispose()


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> CountingDriver:
    counting = CountingDriver()
    monkeypatch.setattr(mgmt_handlers, "get_mgmt_driver", lambda _name: counting)
    return counting


def _spawned() -> events.DeviceSpawned:
    """A new device built, for mgmt to configure with the counting driver."""
    return events.DeviceSpawned(
        device_id=uuid.uuid4(),
        tenant_id=TENANT,
        operation="create",
        mgmt_driver="counting",
        mgmt_address=None,
        template_attributes={},
        kwargs={},
    )


def _envelope(message: Message) -> Envelope:
    return Envelope.wrap(
        message, correlation_id=f"req-inbox-{uuid.uuid4()}", tenant_id=TENANT, producer="test"
    )


def _duplicates(message_type: str) -> float:
    labels = {"service": "mgmt", "message_type": message_type, "outcome": "duplicate"}
    return REGISTRY.get_sample_value("servicevm_messages_handled_total", labels) or 0.0


async def _record_device(conn: AsyncConnection, tenant_id: str) -> None:
    """An effect a test can count (the suite's relay, if running, empties the outbox)."""
    await mgmt_repo.record_configuration(
        conn,
        device_id=uuid.uuid4(),
        tenant_id=tenant_id,
        mgmt_driver="counting",
        mgmt_address=None,
        configuration={},
        parameters={},
    )


async def _recorded_devices(store: ServiceStore, tenant_id: str) -> int:
    async with store.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(managed_devices)
            .where(managed_devices.c.tenant_id == tenant_id)
        )
    return int(count or 0)


async def test_a_redelivered_device_spawned_does_not_configure_the_device_again(
    store: ServiceStore, driver: CountingDriver
) -> None:
    spawned = _spawned()
    envelope = _envelope(spawned)
    dispatch = Dispatcher(store, MGMT.handlers)
    before = _duplicates(spawned.TYPE)

    await dispatch(envelope)
    await dispatch(envelope)  # the broker redelivers it

    assert driver.calls == [f"apply {spawned.device_id}"]
    assert _duplicates(spawned.TYPE) == before + 1


async def test_a_redelivered_placement_does_not_configure_the_instance_again(
    store: ServiceStore, driver: CountingDriver
) -> None:
    device_id = uuid.uuid4()
    async with store.engine.begin() as conn:
        await mgmt_repo.record_configuration(
            conn,
            device_id=device_id,
            tenant_id=TENANT,
            mgmt_driver="counting",
            mgmt_address=None,
            configuration={},
            parameters={},
        )
    placed = events.ServiceInstancePlaced(
        instance_id=uuid.uuid4(),
        tenant_id=TENANT,
        operation="create",
        mgmt_driver=None,
        devices=[device_id],
        configuration={},
    )
    envelope = _envelope(placed)
    dispatch = Dispatcher(store, MGMT.handlers)

    await dispatch(envelope)
    await dispatch(envelope)

    assert driver.calls == [f"apply_service {placed.instance_id}"]


Shape = Callable[[HandlerContext, list[str]], Awaitable[None]]


async def _driver_first(ctx: HandlerContext, calls: list[str]) -> None:
    calls.append("driver")
    async with ctx.transaction(final=True) as uow:
        await uow.commit()


async def _read_first(ctx: HandlerContext, calls: list[str]) -> None:
    async with ctx.store.engine.connect() as conn:
        await conn.scalar(select(1))
    await _driver_first(ctx, calls)


async def _step_first(ctx: HandlerContext, calls: list[str]) -> None:
    async with ctx.transaction() as uow:
        await uow.commit()
    await _driver_first(ctx, calls)


@pytest.mark.parametrize("shape", [_driver_first, _read_first, _step_first])
async def test_no_handler_code_runs_for_a_processed_message_whatever_its_shape(
    store: ServiceStore, shape: Shape
) -> None:
    calls: list[str] = []

    async def handler(_cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
        calls.append("entered")
        await shape(ctx, calls)

    envelope = _envelope(commands.DeleteVim(id=uuid.uuid4()))
    dispatch = Dispatcher(store, {commands.DeleteVim: handler})

    await dispatch(envelope)
    await dispatch(envelope)

    assert calls == ["entered", "driver"]


async def test_a_message_is_processed_only_when_its_final_transaction_commits(
    store: ServiceStore,
) -> None:
    """The dispatcher records nothing itself: a handler that fails before its final commit
    runs again on the redelivery, and only a committed final transaction ends the retries."""
    calls: list[str] = []

    async def handler(_cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
        calls.append("entered")
        async with ctx.transaction(final=True) as uow:
            if len(calls) == 1:
                raise RuntimeError("the worker dies before committing")
            await uow.commit()

    envelope = _envelope(commands.DeleteVim(id=uuid.uuid4()))
    dispatch = Dispatcher(store, {commands.DeleteVim: handler})

    with pytest.raises(RuntimeError):
        await dispatch(envelope)
    await dispatch(envelope)
    await dispatch(envelope)

    assert calls == ["entered", "entered"]


async def test_concurrent_deliveries_commit_the_effects_once(store: ServiceStore) -> None:
    """Two deliveries racing past the check: the inbox insert in the final transaction lets
    one commit and rolls the other back (counted as a duplicate)."""
    gate = asyncio.Event()
    arrived = 0
    tenant_id = f"inbox-{uuid.uuid4().hex[:8]}"

    async def handler(_cmd: commands.DeleteVim, ctx: HandlerContext) -> None:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            gate.set()
        await gate.wait()  # both have passed the dispatcher's check
        async with ctx.transaction(final=True) as uow:
            await _record_device(uow.conn, tenant_id)
            await uow.commit()

    envelope = _envelope(commands.DeleteVim(id=uuid.uuid4()))
    dispatch = Dispatcher(store, {commands.DeleteVim: handler})

    before = _duplicates(commands.DeleteVim.TYPE)

    await asyncio.gather(dispatch(envelope), dispatch(envelope))

    assert await _recorded_devices(store, tenant_id) == 1
    assert _duplicates(commands.DeleteVim.TYPE) == before + 1


async def test_a_message_without_a_handler_or_of_an_unknown_type_is_refused(
    store: ServiceStore,
) -> None:
    """Refused with an error the consumer parks in the dead-letter queue, never skipped."""
    spawned = _spawned()
    with pytest.raises(NoHandler, match=r"device\.spawned"):
        await Dispatcher(store, {})(_envelope(spawned))
    unknown = _envelope(spawned).model_copy(update={"type": "mgmt.no_such_message"})
    with pytest.raises(UnknownMessage):
        await Dispatcher(store, MGMT.handlers)(unknown)
