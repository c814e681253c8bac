"""mgmt as ``shared.runtime`` wires it: a spawned device with nothing to configure (most of
them) is recorded in a transaction shared with the messages that arrived with it, which
holds their devices' leases (no lease of its own, no separate acquire and release); one to
configure still runs alone under a lease of its own; a created one that rides on its
status change is recorded with that change's notification (real Postgres, mgmt's schema;
no bus, no services)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from servicevm_mgmt import handlers as mgmt_handlers
from servicevm_mgmt.adapters.orm import managed_devices
from servicevm_mgmt.bootstrap import DEFINITION as MGMT
from servicevm_mgmt.drivers.noop import NoopMgmtDriver
from servicevm_mgmt.monitoring.tables import monitored_devices
from servicevm_mgmt.subscriptions.notifier import notify
from shared import runtime
from shared.config import Settings
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.messaging.dispatch import Dispatcher, ServiceStore
from shared.messaging.handoff import LeasedDispatch
from shared.messaging.leases import Lease, LeaseStore
from shared.messaging.not_yet import WaitForDependencies
from tests.support.snapshots import device_snapshot

TENANT = "unleased-test"


@pytest.fixture
async def store(database: Settings) -> AsyncIterator[ServiceStore]:
    made = runtime.build_store(MGMT, database)
    try:
        yield made
    finally:
        async with made.engine.begin() as conn:
            await conn.execute(delete(managed_devices).where(managed_devices.c.tenant_id == TENANT))
            await conn.execute(
                delete(monitored_devices).where(monitored_devices.c.tenant_id == TENANT)
            )
            # What they queued stays off the bus of the tests that start the suite.
            await conn.execute(
                delete(made.outbox).where(made.outbox.c.correlation_id.like("req-unleased-%"))
            )
        await made.engine.dispose()


@pytest.fixture
def leased_subjects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subjects whose lease was taken on their own (not by a batch's transaction)."""
    taken: list[str] = []
    acquire = LeaseStore.try_acquire

    async def counting(self: LeaseStore, envelope: Envelope) -> Lease | None:
        taken.append(envelope.subject_id)
        return await acquire(self, envelope)

    monkeypatch.setattr(LeaseStore, "try_acquire", counting)
    return taken


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> list[uuid.UUID]:
    """The devices the management driver was asked to configure."""
    applied: list[uuid.UUID] = []

    class Counting(NoopMgmtDriver):
        async def apply(self, device: Any) -> None:
            applied.append(device.device_id)

    monkeypatch.setattr(mgmt_handlers, "get_mgmt_driver", lambda _name: Counting())
    return applied


def _wired(store: ServiceStore, settings: Settings) -> LeasedDispatch:
    dispatcher = runtime.batching_dispatcher(MGMT, Dispatcher(store, MGMT.handlers), settings)
    waiting = WaitForDependencies(dispatcher)
    leased = runtime._leased(MGMT, store, settings, waiting, dispatcher.fenced)
    assert leased is not None
    return leased


def _spawned(*, configure: bool) -> Envelope:
    event = events.DeviceSpawned(
        device_id=uuid.uuid4(),
        tenant_id=TENANT,
        operation="create",
        mgmt_driver="noop",
        mgmt_address=None,
        template_attributes={},
        kwargs={},
        configure=configure,
    )
    return Envelope.wrap(
        event, correlation_id=f"req-unleased-{uuid.uuid4()}", tenant_id=TENANT, producer="test"
    )


async def _recorded_at(store: ServiceStore, envelopes: list[Envelope]) -> list[Any]:
    """When each device was recorded: its transaction's start (now())."""
    ids = [uuid.UUID(envelope.subject_id) for envelope in envelopes]
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(managed_devices.c.id, managed_devices.c.configured_at).where(
                managed_devices.c.id.in_(ids)
            )
        )
        at = {row.id: row.configured_at for row in rows}
    return [at.get(device_id) for device_id in ids]


async def test_nothing_to_configure_is_batched_without_a_lease_of_its_own(
    store: ServiceStore,
    database: Settings,
    leased_subjects: list[str],
    configured: list[uuid.UUID],
) -> None:
    dispatch = _wired(store, database)
    quiet = [_spawned(configure=False) for _ in range(3)]

    await asyncio.wait_for(asyncio.gather(*(dispatch(envelope) for envelope in quiet)), 10)

    recorded = await _recorded_at(store, quiet)
    assert None not in recorded
    # Batched: the three shared the transactions the process runs at once.
    assert len(set(recorded)) <= MGMT.batch_slots < len(quiet)
    assert leased_subjects == []
    assert configured == []


async def test_a_device_to_configure_is_configured_under_its_lease(
    store: ServiceStore,
    database: Settings,
    leased_subjects: list[str],
    configured: list[uuid.UUID],
) -> None:
    dispatch = _wired(store, database)
    envelope = _spawned(configure=True)

    await asyncio.wait_for(dispatch(envelope), 10)

    assert leased_subjects == [envelope.subject_id]
    assert configured == [uuid.UUID(envelope.subject_id)]
    assert None not in await _recorded_at(store, [envelope])


def _status_changed(
    device_id: uuid.UUID, status: str, previous: str | None, spawned: events.DeviceSpawned | None
) -> Envelope:
    device = device_snapshot(id=device_id, tenant_id=TENANT, status=status)
    event = events.DeviceStatusChanged(device=device, previous_status=previous, spawned=spawned)
    return Envelope.wrap(
        event, correlation_id=f"req-unleased-{uuid.uuid4()}", tenant_id=TENANT, producer="test"
    )


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The notifications mgmt's handlers made (event type, request id), in order; read here
    rather than in the outbox, which a relay of another test may be emptying."""
    made: list[tuple[str, str]] = []

    async def recording(uow: Any, notification: Any) -> None:
        made.append((notification.event_type, notification.request_id))
        await notify(uow, notification)

    monkeypatch.setattr(mgmt_handlers, "notify", recording)
    return made


async def test_a_created_device_riding_on_its_status_change_is_recorded_with_its_notification(
    store: ServiceStore,
    database: Settings,
    leased_subjects: list[str],
    configured: list[uuid.UUID],
    notified: list[tuple[str, str]],
) -> None:
    dispatch = _wired(store, database)
    device_id = uuid.uuid4()
    policy = '{"monitors": [{"type": "ping", "interval": 30, "timeout": 1}]}'
    spawned = events.DeviceSpawned(
        device_id=device_id,
        tenant_id=TENANT,
        operation="create",
        mgmt_driver="noop",
        mgmt_address="10.0.0.7",
        template_attributes={"monitoring": policy},
        kwargs={"hostname": "fw-1"},
        configure=False,
    )
    created = _status_changed(device_id, "PENDING_CREATE", None, None)
    active = _status_changed(device_id, "ACTIVE", "PENDING_CREATE", spawned)

    for envelope in (created, active):
        await asyncio.wait_for(dispatch(envelope), 10)

    async with store.engine.connect() as conn:
        device = (
            await conn.execute(select(managed_devices).where(managed_devices.c.id == device_id))
        ).one()
        monitors = (
            await conn.execute(
                select(monitored_devices.c.monitor).where(
                    monitored_devices.c.device_id == device_id
                )
            )
        ).all()
    assert (device.mgmt_driver, device.mgmt_address) == ("noop", "10.0.0.7")
    assert device.configuration == {"hostname": "fw-1"}
    assert [row.monitor for row in monitors] == ["ping"]
    assert notified == [
        ("device.pending_create", created.correlation_id),
        ("device.active", active.correlation_id),
    ]
    assert leased_subjects == []
    assert configured == []
