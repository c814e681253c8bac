"""The api's hot statements written as SQL, against Postgres.

- A device POST's one statement (``repository.create_device``) adds the row and its outbox
  rows only for a template (and a VIM, when one is named) the caller sees; otherwise it
  writes nothing at all, neither the row nor the command.
- An op occ event's one statement (``vnflcm.repository.take_op_occ``) locks the VNF and
  takes its newer view, then takes a newer snapshot of the op occ, ignores a stale one,
  keeps an op occ the api made final unless the snapshot is in that same state, and finds
  nothing for an op occ or a VNF it does not hold.
- A device GET's one statement (``repository.device_columns``) reads the shown columns,
  JSON decoded, and nothing for an id it does not hold."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import Column, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import (
    device_templates,
    devices,
    outbox,
    service_instances,
    service_types,
    vims,
    vnf_instances,
    vnf_lcm_op_occs,
    vnf_packages,
)
from servicevm_api.bootstrap import DEFINITION
from servicevm_api.vnflcm import repository as vnf_repo
from servicevm_api.vnflcm.states import FINAL
from shared.config import Settings
from shared.contracts import commands
from shared.contracts.models import ServiceInstanceSnapshot
from shared.contracts.vnflcm import VnfLcmOpOccSnapshot
from shared.db.raw import Driver, OutboxRows
from shared.runtime import build_store
from tests.support.db import add_api_template


def _rolled_back(
    settings: Settings, body: Callable[[AsyncConnection, asyncpg.Connection], Awaitable[None]]
) -> None:
    async def run() -> None:
        engine = build_store(DEFINITION, settings).engine
        try:
            async with engine.connect() as conn, conn.begin() as transaction:
                driver = await (await Driver.under(conn)).in_transaction()
                await body(conn, driver)
                await transaction.rollback()
        finally:
            await engine.dispose()

    asyncio.run(run())


def _command(template_id: uuid.UUID, vim_id: uuid.UUID | None = None) -> commands.CreateDevice:
    return commands.CreateDevice(
        id=uuid.uuid4(),
        tenant_id="owner",
        template_id=template_id,
        kwargs={"vlan": 10},
        service_contexts=[],
        vim_id=vim_id,
    )


def _outbox_row(command: commands.CreateDevice | commands.CreateServiceInstance) -> OutboxRows:
    return OutboxRows(
        [uuid.uuid4()], ["servicevm.commands"], [command.TYPE], [command.TYPE], [_MARK], [b"{}"]
    )


# The correlation id of this module's outbox rows (uncommitted, never relayed).
_MARK = f"test-api-statements-{uuid.uuid4()}"


SHOWN = ("id", "tenant_id", "template_id", "kwargs", "status", "vim_id")


def test_device_post_writes_row_and_command_only_for_a_visible_template(
    database: Settings,
) -> None:
    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        template_id, vim_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            insert(vims).values(
                id=vim_id,
                tenant_id="owner",
                name="v",
                description="",
                type="openstack",
                auth_url="http://keystone/v3",
                is_default=False,
                status="REACHABLE",
            )
        )
        await conn.execute(
            insert(device_templates).values(
                id=template_id,
                tenant_id="owner",
                name="t",
                description="",
                device_driver="noop",
                mgmt_driver="noop",
                service_types=[],
                attributes={},
                vim_id=vim_id,
            )
        )

        async def create(command: commands.CreateDevice, visible_to: str | None) -> object:
            return await repo.create_device(
                driver,
                command=command,
                slot_capacity=2,
                visible_to=visible_to,
                outbox_rows=_outbox_row(command),
                shown=SHOWN,
            )

        async def written() -> tuple[int, int]:
            # This test's rows only: the session's services commit and relay rows of their
            # own in the same tables meanwhile.
            rows = await conn.scalar(
                select(func.count())
                .select_from(devices)
                .where(devices.c.template_id == template_id)
            )
            queued = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.correlation_id == _MARK)
            )
            return int(rows or 0), int(queued or 0)

        before = await written()
        mine = _command(template_id)
        assert await create(mine, "owner") == {
            "id": mine.id,
            "tenant_id": "owner",
            "template_id": template_id,
            "kwargs": {"vlan": 10},
            "status": "PENDING_CREATE",
            "vim_id": vim_id,  # the template's, none being named
        }
        assert await written() == (before[0] + 1, before[1] + 1)
        assert await create(_command(template_id), None) is not None  # an admin sees all
        counted = await written()
        assert await create(_command(template_id), "other") is None
        assert await create(_command(uuid.uuid4()), "owner") is None
        assert await create(_command(template_id, vim_id=uuid.uuid4()), "owner") is None
        assert await written() == counted

    _rolled_back(database, body)


def test_service_instance_post_writes_row_and_command_only_for_what_exists(
    database: Settings,
) -> None:
    """A service instance POST's one statement (``repository.add_service_instance_at_once``)
    adds the row, PENDING_CREATE on no device yet, and its command only when its service
    type exists and every device asked for does; otherwise nothing at all."""

    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        template_id, service_type_id, device_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await add_api_template(conn, template_id, "owner")
        await conn.execute(
            insert(service_types).values(
                id=service_type_id,
                template_id=template_id,
                tenant_id="owner",
                service_type="firewall",
            )
        )
        await conn.execute(
            insert(devices).values(
                id=device_id,
                tenant_id="owner",
                template_id=template_id,
                kwargs={},
                service_contexts=[],
                status="ACTIVE",
                revision=1,
            )
        )

        async def create(
            stype: uuid.UUID, asked: list[uuid.UUID] | None = None
        ) -> dict[str, object] | None:
            command = commands.CreateServiceInstance(
                id=uuid.uuid4(),
                tenant_id="owner",
                name="edge",
                service_type_id=stype,
                service_contexts=[],
                devices=asked or [],
                kwargs={"vip": "10.0.0.5"},
            )
            return await repo.add_service_instance_at_once(
                driver,
                values=command.model_dump(),
                devices_asked=command.devices,
                outbox_rows=_outbox_row(command),
                shown=("id", "name", "service_type_id", "devices", "kwargs", "status"),
            )

        async def written() -> tuple[int, int]:
            rows = await conn.scalar(
                select(func.count())
                .select_from(service_instances)
                .where(service_instances.c.service_type_id == service_type_id)
            )
            queued = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.correlation_id == _MARK)
            )
            return int(rows or 0), int(queued or 0)

        before = await written()
        created = await create(service_type_id)
        assert created is not None
        assert {k: v for k, v in created.items() if k != "id"} == {
            "name": "edge",
            "service_type_id": service_type_id,
            "devices": [],  # the scheduler binds it
            "kwargs": {"vip": "10.0.0.5"},
            "status": "PENDING_CREATE",
        }
        assert await create(service_type_id, [device_id]) is not None
        assert await written() == (before[0] + 2, before[1] + 2)
        assert await create(service_type_id, [device_id, uuid.uuid4()]) is None
        assert await create(uuid.uuid4()) is None
        assert await written() == (before[0] + 2, before[1] + 2)

    _rolled_back(database, body)


def test_instance_snapshot_taken_by_revision_never_resurrecting(database: Settings) -> None:
    """A scheduler's snapshot of a service instance (``repository.apply_instance_snapshot``)
    replaces the record when newer, clears the api's ``pending_since``, is ignored when
    older, and adds no row for an instance the api does not hold."""

    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        instance_id, device_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            insert(service_instances).values(
                id=instance_id,
                tenant_id="owner",
                name="fw",
                service_type_id=uuid.uuid4(),
                service_contexts=[],
                kwargs={},
                managed_by_user=True,
                status="PENDING_CREATE",
                revision=0,
                pending_since=func.now(),
            )
        )
        snapshot = ServiceInstanceSnapshot(
            id=instance_id,
            tenant_id="owner",
            name="edge",
            service_type_id=uuid.uuid4(),
            service_table_id=None,
            mgmt_driver=None,
            mgmt_address=None,
            service_contexts=[],
            devices=[device_id],
            kwargs={"vip": "10.0.0.5"},
            managed_by_user=True,
            status="ACTIVE",
            error_reason=None,
            revision=2,
        )

        async def record() -> tuple[object, ...]:
            c = service_instances.c
            columns = (c.name, c.kwargs, c.devices, c.status, c.revision, c.pending_since)
            return await _columns_of(conn, instance_id, *columns)

        await repo.apply_instance_snapshot(driver, instance=snapshot)
        taken = ("edge", {"vip": "10.0.0.5"}, [str(device_id)], "ACTIVE", 2, None)
        assert await record() == taken
        older = snapshot.model_copy(update={"status": "PENDING_CREATE", "revision": 1})
        await repo.apply_instance_snapshot(driver, instance=older)
        assert await record() == taken
        stranger = snapshot.model_copy(update={"id": uuid.uuid4()})
        await repo.apply_instance_snapshot(driver, instance=stranger)
        count = await conn.scalar(
            select(func.count())
            .select_from(service_instances)
            .where(service_instances.c.id == stranger.id)
        )
        assert count == 0

    _rolled_back(database, body)


def test_device_get_reads_the_shown_columns(database: Settings) -> None:
    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        template_id = uuid.uuid4()
        await add_api_template(conn, template_id, "owner")
        command = _command(template_id)
        created = await repo.create_device(
            driver,
            command=command,
            slot_capacity=2,
            visible_to="owner",
            outbox_rows=_outbox_row(command),
            shown=SHOWN,
        )
        assert await repo.device_columns(driver, command.id, SHOWN) == created
        assert created is not None and created["kwargs"] == {"vlan": 10}
        assert await repo.device_columns(driver, uuid.uuid4(), SHOWN) is None

    _rolled_back(database, body)


def _op(vnf_id: uuid.UUID, op_id: uuid.UUID, state: str, revision: int) -> VnfLcmOpOccSnapshot:
    at = datetime.now(UTC)
    return VnfLcmOpOccSnapshot(
        id=op_id,
        vnf_instance_id=vnf_id,
        tenant_id="owner",
        operation="INSTANTIATE",
        operation_state=state,
        is_automatic_invocation=False,
        operation_params={},
        start_time=at,
        state_entered_time=at,
        revision=revision,
    )


async def _starting_op(conn: AsyncConnection) -> tuple[uuid.UUID, uuid.UUID]:
    """A VNF (of an ONBOARDED package) and its op occ STARTING in the api's tables."""
    package_id, vnf_id, op_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        insert(vnf_packages).values(
            id=package_id,
            tenant_id="owner",
            onboarding_state="ONBOARDED",
            operational_state="ENABLED",
            usage_state="IN_USE",
            user_defined_data={},
        )
    )
    await conn.execute(
        insert(vnf_instances).values(
            id=vnf_id,
            tenant_id="owner",
            vnfd_id="d",
            vnf_provider="p",
            vnf_product_name="n",
            vnf_software_version="1",
            vnfd_version="1",
            vnf_package_id=package_id,
            instantiation_state="NOT_INSTANTIATED",
            operation_in_progress=op_id,
        )
    )
    at = datetime.now(UTC)
    await conn.execute(
        insert(vnf_lcm_op_occs).values(
            id=op_id,
            tenant_id="owner",
            vnf_instance_id=vnf_id,
            operation="INSTANTIATE",
            operation_state="STARTING",
            operation_params={},
            start_time=at,
            state_entered_time=at,
            pending_since=at,
        )
    )

    return vnf_id, op_id


def test_op_occ_snapshot_taken_by_revision_and_final_state(database: Settings) -> None:
    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        vnf_id, op_id = await _starting_op(conn)

        async def take(state: str, revision: int) -> vnf_repo.HeldOpOcc | None:
            taken = await vnf_repo.take_op_occ(
                driver, _op(vnf_id, op_id, state, revision), final=FINAL
            )
            assert taken is not None
            locked, held = taken
            assert locked.id == vnf_id and locked.operation_in_progress == op_id
            return held

        async def held() -> tuple[object, ...]:
            c = vnf_lcm_op_occs.c
            return await _columns_of(conn, op_id, c.operation_state, c.revision, c.pending_since)

        assert await take("PROCESSING", 2) == vnf_repo.HeldOpOcc(0, "STARTING", True)
        assert await held() == ("PROCESSING", 2, None)  # lifecycle answered
        gone = _op(uuid.uuid4(), op_id, "COMPLETED", 9)  # its VNF is not the api's
        assert await vnf_repo.take_op_occ(driver, gone, final=FINAL) is None
        assert await held() == ("PROCESSING", 2, None)  # untouched
        assert await take("STARTING", 1) == vnf_repo.HeldOpOcc(2, "PROCESSING", False)
        assert (await held())[:2] == ("PROCESSING", 2)
        await conn.execute(
            vnf_lcm_op_occs.update()
            .where(vnf_lcm_op_occs.c.id == op_id)
            .values(operation_state="FAILED")  # the api's FAIL
        )
        assert await take("ROLLED_BACK", 3) == vnf_repo.HeldOpOcc(2, "FAILED", False)
        assert await take("FAILED", 4) == vnf_repo.HeldOpOcc(2, "FAILED", True)
        assert (await held())[:2] == ("FAILED", 4)
        other_op = await vnf_repo.take_op_occ(
            driver, _op(vnf_id, uuid.uuid4(), "PROCESSING", 1), final=FINAL
        )
        assert other_op is not None and other_op[1] is None  # the VNF, no such op occ

    _rolled_back(database, body)


def test_vnf_view_taken_with_the_op_occ_by_revision(database: Settings) -> None:
    """lifecycle's view of the VNF, carried by an op occ event, is taken by the same
    statement when newer than the record's, and ignored when older."""

    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        vnf_id, op_id = await _starting_op(conn)

        async def take(op_revision: int, view: vnf_repo.VnfView) -> None:
            await vnf_repo.take_op_occ(
                driver, _op(vnf_id, op_id, "PROCESSING", op_revision), final=FINAL, vnf=view
            )

        async def record() -> tuple[object, ...]:
            c = vnf_instances.c
            columns = (c.instantiation_state, c.instantiated_vnf_info, c.revision, c.version)
            return await _columns_of(conn, vnf_id, *columns)

        version = (await record())[3]
        assert isinstance(version, int)
        info = {"flavourId": "simple", "vnfState": "STARTED"}
        await take(2, vnf_repo.VnfView(5, "INSTANTIATED", info))
        assert await record() == ("INSTANTIATED", info, 5, version + 1)
        assert (await held_state(conn, op_id)) == "PROCESSING"
        await take(3, vnf_repo.VnfView(4, "NOT_INSTANTIATED", None))  # older: ignored
        assert await record() == ("INSTANTIATED", info, 5, version + 1)

    _rolled_back(database, body)


async def _columns_of(
    conn: AsyncConnection, row_id: uuid.UUID, *columns: Column[Any]
) -> tuple[object, ...]:
    """These columns of the row with this id, in the columns' table."""
    table = columns[0].table
    return tuple((await conn.execute(select(*columns).where(table.c.id == row_id))).one())


async def held_state(conn: AsyncConnection, op_id: uuid.UUID) -> str:
    state = await conn.scalar(
        select(vnf_lcm_op_occs.c.operation_state).where(vnf_lcm_op_occs.c.id == op_id)
    )
    return str(state)


def test_a_cancel_the_api_accepted_stays_pending_until_lifecycle_saw_it(
    database: Settings,
) -> None:
    """lifecycle's PROCESSING, made before it saw a CANCEL the api accepted, does not clear
    the pending cancel (a second CANCEL stays refused); its answer to the cancel does."""

    async def body(conn: AsyncConnection, driver: asyncpg.Connection) -> None:
        vnf_id, op_id = await _starting_op(conn)
        await conn.execute(
            vnf_lcm_op_occs.update()
            .where(vnf_lcm_op_occs.c.id == op_id)
            .values(is_cancel_pending=True, cancel_mode="FORCEFUL")  # the api's CANCEL
        )

        async def take(state: str, revision: int, *, cancelling: bool = False) -> None:
            snapshot = _op(vnf_id, op_id, state, revision)
            if cancelling:
                snapshot = snapshot.model_copy(
                    update={"is_cancel_pending": True, "cancel_mode": "FORCEFUL"}
                )
            taken = await vnf_repo.take_op_occ(driver, snapshot, final=FINAL)
            assert taken is not None and taken[1] is not None and taken[1].taken

        async def pending() -> tuple[object, ...]:
            c = vnf_lcm_op_occs.c
            return await _columns_of(conn, op_id, c.is_cancel_pending, c.cancel_mode)

        await take("PROCESSING", 2)  # lifecycle had not seen the cancel
        assert await pending() == (True, "FORCEFUL")
        await take("PROCESSING", 3, cancelling=True)  # it has
        assert await pending() == (True, "FORCEFUL")
        await take("FAILED_TEMP", 4)  # cancelled
        assert await pending() == (False, None)
        await take("PROCESSING", 5)  # a RETRY later: nothing pending
        assert await pending() == (False, None)

    _rolled_back(database, body)
