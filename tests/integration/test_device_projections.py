"""The api's and the scheduler's device projections against Postgres: a newer snapshot
replaces an older one, a stale one changes nothing, a device's first announcement adds it
(alone or with the states after it, in one message), and no later snapshot of an unknown
(deleted) device brings it back."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters import repository as api_repo
from servicevm_api.adapters.orm import devices as api_devices
from servicevm_api.bootstrap import DEFINITION as API
from servicevm_scheduler.adapters.devices import SqlDevices
from servicevm_scheduler.adapters.orm import templates
from servicevm_scheduler.bootstrap import DEFINITION as SCHEDULER
from shared.config import Settings
from shared.contracts.models import DeviceSnapshot, DeviceStatus
from shared.db.raw import Driver
from tests.support.db import add_api_template, in_rolled_back_transaction
from tests.support.snapshots import device_snapshot

S = DeviceStatus


TEMPLATE = uuid.uuid4()


def _snapshot(device_id: uuid.UUID, status: str, revision: int) -> DeviceSnapshot:
    return device_snapshot(
        id=device_id, tenant_id="owner", template_id=TEMPLATE, status=status, revision=revision
    )


def test_scheduler_projection(database: Settings) -> None:
    async def body(conn: AsyncConnection) -> None:
        await conn.execute(
            insert(templates).values(
                id=TEMPLATE, tenant_id="owner", service_types=[], attributes={}, slot_capacity=3
            )
        )
        repo, device_id = SqlDevices(conn), uuid.uuid4()
        assert await repo.apply(device=_snapshot(device_id, S.PENDING_CREATE, 1)) == ""
        assert await repo.apply(device=_snapshot(device_id, S.PENDING_CREATE, 1)) is None
        assert await repo.apply(device=_snapshot(device_id, S.ACTIVE, 2)) == S.PENDING_CREATE
        assert await repo.apply(device=_snapshot(device_id, S.ERROR, 2)) is None  # stale
        held = await repo.get(device_id=device_id)
        assert held is not None and (held.status, held.slot_capacity) == (S.ACTIVE, 3)
        gone = uuid.uuid4()
        assert await repo.apply(device=_snapshot(gone, S.ACTIVE, 5)) is None
        assert await repo.get(device_id=gone) is None
        # A create in one message (PENDING_CREATE, then ACTIVE): added, in its last state.
        built = uuid.uuid4()
        first = _snapshot(built, S.PENDING_CREATE, 1)
        assert await repo.apply(device=_snapshot(built, S.ACTIVE, 2), first=first) == ""
        held = await repo.get(device_id=built)
        assert held is not None and (held.status, held.slot_capacity) == (S.ACTIVE, 3)

    in_rolled_back_transaction(SCHEDULER, database, body)


def test_api_projection(database: Settings) -> None:
    async def status(conn: AsyncConnection, device_id: uuid.UUID) -> tuple[str, int] | None:
        row = (
            await conn.execute(
                select(api_devices.c.status, api_devices.c.revision).where(
                    api_devices.c.id == device_id
                )
            )
        ).first()
        return None if row is None else (row.status, row.revision)

    async def body(conn: AsyncConnection) -> None:
        await add_api_template(conn, TEMPLATE, "owner")
        device_id, driver = uuid.uuid4(), await (await Driver.under(conn)).in_transaction()
        await api_repo.apply_device_snapshot(
            driver, device=_snapshot(device_id, S.PENDING_CREATE, 1)
        )
        assert await status(conn, device_id) == (S.PENDING_CREATE, 1)
        await api_repo.apply_device_snapshot(driver, device=_snapshot(device_id, S.ACTIVE, 3))
        await api_repo.apply_device_snapshot(
            driver, device=_snapshot(device_id, S.PENDING_CREATE, 2)
        )
        assert await status(conn, device_id) == (S.ACTIVE, 3)
        gone = uuid.uuid4()
        await api_repo.apply_device_snapshot(driver, device=_snapshot(gone, S.ACTIVE, 4))
        assert await status(conn, gone) is None
        # A create in one message (PENDING_CREATE, then ACTIVE): added, in its last state.
        built = uuid.uuid4()
        first = _snapshot(built, S.PENDING_CREATE, 1)
        await api_repo.apply_device_snapshot(
            driver, device=_snapshot(built, S.ACTIVE, 2), first=first
        )
        assert await status(conn, built) == (S.ACTIVE, 2)

    in_rolled_back_transaction(API, database, body)
