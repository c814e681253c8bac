"""Create commands that reach the scheduler together share one transaction, and each is
placed, announced and recorded as it would be alone; one that must wait looks for room
again once its decision has committed (real Postgres, the scheduler's schema; no bus)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from servicevm_scheduler import handlers
from servicevm_scheduler.bootstrap import DEFINITION
from shared.config import Settings
from shared.contracts import commands
from shared.contracts.envelope import Envelope
from shared.db.relay_wakeup import relay_here
from shared.messaging.batching import BatchingDispatcher
from shared.messaging.dispatch import Dispatcher, ServiceStore
from shared.runtime import batching_dispatcher, build_store
from tests.support.db import database_of_its_own

TENANT = "create-batch-test"
CAPACITY = 2


@pytest.fixture(scope="module")
def quiet_database(database: Settings) -> Iterator[Settings]:
    """A database of this module's own: no scheduler process reads its outbox or places onto
    its devices."""
    with database_of_its_own(database, "create_batches") as own:
        yield own


@pytest.fixture
async def store(quiet_database: Settings) -> AsyncIterator[ServiceStore]:
    made = build_store(DEFINITION, quiet_database)
    try:
        with relay_here(made.engine, "scheduler", lambda: None):
            yield made
    finally:
        await made.engine.dispose()


@pytest.fixture
async def conn(quiet_database: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, to seed and to look (outside the scheduler's)."""
    dsn = quiet_database.db_admin_url.rsplit("/", 1)[0] + f"/{quiet_database.db_name}"
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


@dataclass(frozen=True)
class Seeded:
    template_id: uuid.UUID
    service_type_id: uuid.UUID
    active: list[uuid.UUID]
    coming: list[uuid.UUID]


async def _seed(conn: asyncpg.Connection, *, active: int, coming: int = 0, used: int = 0) -> Seeded:
    """A template (mgmt configures its instances) with ``active`` ACTIVE devices holding
    ``used`` slots each, and ``coming`` devices still being created."""
    template_id, service_type_id = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO scheduler.templates (id, tenant_id, service_types, attributes,"
        " slot_capacity) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)",
        template_id,
        TENANT,
        json.dumps([{"id": str(service_type_id), "service_type": "firewall"}]),
        json.dumps({"slot_capacity": str(CAPACITY)}),
        CAPACITY,
    )
    await conn.execute(
        "INSERT INTO scheduler.service_types VALUES ($1, $2, 'firewall')",
        service_type_id,
        template_id,
    )
    devices = {"ACTIVE": [uuid.uuid4() for _ in range(active)]}
    devices["PENDING_CREATE"] = [uuid.uuid4() for _ in range(coming)]
    for status, ids in devices.items():
        for device_id in ids:
            await conn.execute(
                "INSERT INTO scheduler.devices (id, tenant_id, template_id, status,"
                " slot_capacity, slots_used, revision) VALUES ($1, $2, $3, $4, $5, $6, 1)",
                device_id,
                TENANT,
                template_id,
                status,
                CAPACITY,
                used if status == "ACTIVE" else 0,
            )
    return Seeded(template_id, service_type_id, devices["ACTIVE"], devices["PENDING_CREATE"])


def _create(service_type_id: uuid.UUID) -> Envelope:
    instance_id = uuid.uuid4()
    return Envelope.wrap(
        commands.CreateServiceInstance(
            id=instance_id, tenant_id=TENANT, service_type_id=service_type_id
        ),
        correlation_id=f"req-create-batch-{instance_id}",
        tenant_id=TENANT,
        producer="test",
    )


@pytest.fixture
def dispatch(store: ServiceStore, quiet_database: Settings) -> BatchingDispatcher:
    """The dispatcher a scheduler process runs, on the real handlers."""
    return batching_dispatcher(DEFINITION, Dispatcher(store, handlers.HANDLERS), quiet_database)


def _ids(envelopes: list[Envelope]) -> list[uuid.UUID]:
    return [uuid.UUID(envelope.subject_id) for envelope in envelopes]


async def test_creates_arriving_together_share_transactions(
    dispatch: BatchingDispatcher, conn: asyncpg.Connection
) -> None:
    seeded = await _seed(conn, active=3)
    creates = [_create(seeded.service_type_id) for _ in range(6)]

    await asyncio.gather(*(dispatch(envelope) for envelope in creates))

    ids = _ids(creates)
    rows = await conn.fetch(
        "SELECT i.id, i.status, i.xmin::text AS xmin, b.device_id"
        " FROM scheduler.service_instances i JOIN scheduler.bindings b"
        " ON b.service_instance_id = i.id WHERE i.id = ANY($1::uuid[])",
        ids,
    )
    assert {row["id"] for row in rows} == set(ids)
    assert {row["status"] for row in rows} == {"PENDING_CREATE"}  # placed, mgmt configures
    # The scheduler runs two batches at once, sharing the creates waiting: two transactions
    # of three, in delivery order (the rows carry the id of the transaction that inserted
    # them).
    xmin = {row["id"]: row["xmin"] for row in rows}
    assert xmin[ids[0]] == xmin[ids[2]] != xmin[ids[3]] == xmin[ids[5]]
    assert len(set(xmin.values())) == 2
    used = await conn.fetchval(
        "SELECT sum(slots_used) FROM scheduler.devices WHERE id = ANY($1::uuid[])",
        seeded.active,
    )
    assert used == len(creates)
    processed = await conn.fetchval(
        "SELECT count(*) FROM scheduler.processed_messages WHERE message_id = ANY($1::uuid[])",
        [envelope.message_id for envelope in creates],
    )
    assert processed == len(creates)
    # Each is announced under its own message's correlation id: its status change and its
    # placement for mgmt; the device's capacity changes besides.
    announced = await conn.fetch(
        "SELECT correlation_id, count(*) AS n FROM scheduler.outbox"
        " WHERE correlation_id = ANY($1::text[]) GROUP BY correlation_id",
        [envelope.correlation_id for envelope in creates],
    )
    assert {row["correlation_id"] for row in announced} == {e.correlation_id for e in creates}
    assert all(row["n"] >= 2 for row in announced)


async def test_a_redelivered_create_in_a_batch_places_nothing_twice(
    dispatch: BatchingDispatcher, conn: asyncpg.Connection
) -> None:
    seeded = await _seed(conn, active=2)
    first = _create(seeded.service_type_id)
    await dispatch(first)

    again = [first, _create(seeded.service_type_id)]
    await asyncio.gather(*(dispatch(envelope) for envelope in again))

    used = await conn.fetchval(
        "SELECT sum(slots_used) FROM scheduler.devices WHERE id = ANY($1::uuid[])", seeded.active
    )
    assert used == 2
    bound = await conn.fetchval(
        "SELECT count(*) FROM scheduler.bindings WHERE service_instance_id = ANY($1::uuid[])",
        _ids(again),
    )
    assert bound == 2


async def test_a_create_that_waits_looks_for_room_again_after_its_commit(
    dispatch: BatchingDispatcher, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race ``look_again`` closes: the device the instance waits for turns ACTIVE (its
    own look for waiting instances having run before it could see the instance) between the
    create's commit and its second look, which then places it."""
    seeded = await _seed(conn, active=1, coming=1, used=CAPACITY)
    create = _create(seeded.service_type_id)
    instance_id = uuid.UUID(create.subject_id)
    seen_waiting: list[str | None] = []
    look_again = handlers.look_again

    async def device_turns_active_first(
        store: ServiceStore, correlation_id: str, template_id: uuid.UUID
    ) -> None:
        seen_waiting.append(
            await conn.fetchval(
                "SELECT status FROM scheduler.service_instances"
                " WHERE id = $1 AND waiting_since IS NOT NULL",
                instance_id,
            )
        )
        await conn.execute(
            "UPDATE scheduler.devices SET status = 'ACTIVE' WHERE id = $1", seeded.coming[0]
        )
        await look_again(store, correlation_id, template_id)

    monkeypatch.setattr(handlers, "look_again", device_turns_active_first)

    await dispatch(create)

    assert seen_waiting == ["PENDING_CREATE"]  # committed as waiting before the second look
    placed = await conn.fetchrow(
        "SELECT i.status, i.waiting_since, b.device_id FROM scheduler.service_instances i"
        " JOIN scheduler.bindings b ON b.service_instance_id = i.id WHERE i.id = $1",
        instance_id,
    )
    assert placed is not None
    assert placed["device_id"] == seeded.coming[0]
    assert placed["waiting_since"] is None


async def test_one_batch_slot_when_the_settings_say_so(
    store: ServiceStore, conn: asyncpg.Connection, quiet_database: Settings
) -> None:
    """SERVICEVM_BATCH_SLOTS overrides the scheduler's own two: all the creates waiting go
    in one transaction."""
    one_slot = quiet_database.model_copy(update={"batch_slots": 1})
    dispatch = batching_dispatcher(DEFINITION, Dispatcher(store, handlers.HANDLERS), one_slot)
    seeded = await _seed(conn, active=3)
    creates = [_create(seeded.service_type_id) for _ in range(6)]

    await asyncio.gather(*(dispatch(envelope) for envelope in creates))

    inserted_by = await conn.fetch(
        "SELECT DISTINCT xmin::text FROM scheduler.service_instances WHERE id = ANY($1::uuid[])",
        _ids(creates),
    )
    assert len(inserted_by) == 1
