"""Queries of ``api.vnf_instances`` and ``api.vnf_lcm_op_occs``."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import outbox, vnf_instances, vnf_lcm_op_occs, vnf_packages
from servicevm_api.adapters.sql import Binder, column_list, qualified, record_dict
from servicevm_api.vnflcm.states import ACTION_FROM
from shared.contracts.vnflcm import VnfLcmOpOccSnapshot
from shared.db.raw import OutboxRows, OutboxSql


async def get_instance(
    conn: AsyncConnection, instance_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    query = select(vnf_instances).where(vnf_instances.c.id == instance_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def list_instances(conn: AsyncConnection, *, tenant_id: str | None) -> list[Row[Any]]:
    query = select(vnf_instances).order_by(vnf_instances.c.id)
    if tenant_id is not None:
        query = query.where(vnf_instances.c.tenant_id == tenant_id)
    return list((await conn.execute(query)).all())


async def set_instance(conn: AsyncConnection, instance_id: uuid.UUID, **values: Any) -> None:
    """Changes the record and bumps its version (the ETag)."""
    await conn.execute(
        update(vnf_instances)
        .where(vnf_instances.c.id == instance_id)
        .values(**values, version=vnf_instances.c.version + 1)
    )


async def remove_instance(conn: AsyncConnection, instance_id: uuid.UUID) -> None:
    await conn.execute(
        delete(vnf_lcm_op_occs).where(vnf_lcm_op_occs.c.vnf_instance_id == instance_id)
    )
    await conn.execute(delete(vnf_instances).where(vnf_instances.c.id == instance_id))


async def instances_of_package(conn: AsyncConnection, package_id: uuid.UUID) -> int:
    count = await conn.scalar(
        select(func.count()).where(vnf_instances.c.vnf_package_id == package_id)
    )
    return int(count or 0)


async def add_op_occ(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(vnf_lcm_op_occs).values(**values))


async def add_op_occ_if_absent(conn: AsyncConnection, *, values: dict[str, Any]) -> bool:
    """For an op lifecycle started itself (an automatic heal): False when it is known, or
    when the VNF has another unfinished op occ (the unique index)."""
    result = await conn.execute(
        pg_insert(vnf_lcm_op_occs).values(**values).on_conflict_do_nothing()
    )
    return bool(result.rowcount)


async def get_op_occ(
    conn: AsyncConnection, op_occ_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    query = select(vnf_lcm_op_occs).where(vnf_lcm_op_occs.c.id == op_occ_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def list_op_occs(conn: AsyncConnection, *, tenant_id: str | None) -> list[Row[Any]]:
    query = select(vnf_lcm_op_occs).order_by(vnf_lcm_op_occs.c.id)
    if tenant_id is not None:
        query = query.where(vnf_lcm_op_occs.c.tenant_id == tenant_id)
    return list((await conn.execute(query)).all())


async def set_op_occ(conn: AsyncConnection, op_occ_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(
        update(vnf_lcm_op_occs).where(vnf_lcm_op_occs.c.id == op_occ_id).values(**values)
    )


async def unanswered_op_occs(
    conn: AsyncConnection, *, older_than_seconds: float
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(VNF id, op occ id) of op occs the api set running whose answer is that late."""
    older = func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    rows = await conn.execute(
        select(vnf_lcm_op_occs.c.vnf_instance_id, vnf_lcm_op_occs.c.id).where(
            vnf_lcm_op_occs.c.pending_since < func.now() - older
        )
    )
    return [(row.vnf_instance_id, row.id) for row in rows]


# --- lifecycle's events, as SQL (adapters.sql): the VNF path runs them for every op --------

# What an op occ snapshot changes (``pending_since`` is cleared: lifecycle answered).
_OP_TAKEN = Binder(
    vnf_lcm_op_occs,
    (
        "operation_state",
        "state_entered_time",
        "is_cancel_pending",
        "cancel_mode",
        "affected_vnfcs",
        "changed_info",
        "changed_ext_connectivity",
        "error",
        "revision",
        "grant_id",
    ),
)


@dataclass(frozen=True)
class LockedInstance:
    """What an op occ's event needs of its VNF, whose row it has locked."""

    id: uuid.UUID
    operation_in_progress: uuid.UUID | None
    vim_connection_info: list[dict[str, Any]]


@dataclass(frozen=True)
class HeldOpOcc:
    """An op occ as it was before a snapshot, and whether the snapshot was taken."""

    revision: int
    operation_state: str
    taken: bool


@dataclass(frozen=True)
class VnfView:
    """lifecycle's view of a VNF at a revision: what the api's record takes of it."""

    revision: int
    instantiation_state: str
    instantiated_vnf_info: dict[str, Any] | None


def _op_taken_assignments(first: int) -> str:
    """``_OP_TAKEN``'s assignments, but a cancel the api accepted stays pending while the
    snapshot is one lifecycle made before it saw that cancel: still cancellable and not
    cancelling. (lifecycle announces PROCESSING at once; a CANCEL accepted meanwhile
    would otherwise show as not pending, and a second CANCEL be accepted.)"""
    pending = f"${_OP_TAKEN.position('is_cancel_pending', first)}"
    state = f"${_OP_TAKEN.position('operation_state', first)}"
    cancellable = ",".join(sorted(ACTION_FROM["CANCEL"]))
    keep = (
        f"(NOT {pending} AND op.is_cancel_pending AND {state} = ANY('{{{cancellable}}}'::text[]))"
    )
    mode = f"${_OP_TAKEN.position('cancel_mode', first)}"
    return _OP_TAKEN.assignments(
        first,
        {
            "is_cancel_pending": f"{pending} OR {keep}",
            "cancel_mode": f"CASE WHEN {keep} THEN op.cancel_mode ELSE {mode} END",
        },
    )


@functools.cache
def _take_op_occ_sql(with_vnf: bool) -> str:
    """Parameters: the op occ's id, the final states, the ``_OP_TAKEN`` columns, the VNF's
    id, then (``with_vnf``) its revision and the ``_INSTANCE_TAKEN`` columns. The VNF's
    row is locked first: the op occ is read only once it is (``EXISTS (SELECT FROM vnf)``),
    and the view's update reads it."""
    ops, vnfs = qualified(vnf_lcm_op_occs), qualified(vnf_instances)
    revision = _OP_TAKEN.position("revision", 3)
    state = _OP_TAKEN.position("operation_state", 3)
    vnf_id = 3 + len(_OP_TAKEN.names)
    view = f"viewed AS ({_take_view_sql(vnf_id + 1, 'vnf.id', source='vnf')}), " if with_vnf else ""
    return (
        "WITH vnf AS (SELECT id, operation_in_progress, vim_connection_info "
        f"FROM {vnfs} WHERE id = ${vnf_id} FOR UPDATE), {view}"
        f"held AS (SELECT id, revision, operation_state FROM {ops} "
        "WHERE id = $1 AND EXISTS (SELECT FROM vnf) FOR UPDATE), "
        f"taken AS (UPDATE {ops} AS op SET {_op_taken_assignments(3)}, pending_since = NULL "
        f"FROM held WHERE op.id = held.id AND held.revision < ${revision} "
        f"AND (held.operation_state <> ALL($2::text[]) OR held.operation_state = ${state}) "
        "RETURNING op.id) "
        "SELECT vnf.id, vnf.operation_in_progress, vnf.vim_connection_info, held.revision, "
        "held.operation_state, EXISTS (SELECT FROM taken) FROM vnf LEFT JOIN held ON true"
    )


async def take_op_occ(
    driver: asyncpg.Connection,
    op: VnfLcmOpOccSnapshot,
    *,
    final: Iterable[str],
    vnf: VnfView | None = None,
) -> tuple[LockedInstance, HeldOpOcc | None] | None:
    """Under its VNF's row lock (every writer of an op occ takes it first), in one
    statement: the VNF takes lifecycle's ``vnf`` view, unless it has that revision or a
    later one, then the op occ takes lifecycle's snapshot if newer than the held one and
    the held one is not in a ``final`` state other than the snapshot's (the api marked it
    final itself: FAIL, a deadline). The VNF as locked and the op occ as it was (None: no
    such op occ); None: no such VNF, nothing done."""
    args = [op.id, list(final), *_OP_TAKEN.of(op), op.vnf_instance_id]
    if vnf is not None:
        args.append(vnf.revision)
        args.extend(_INSTANCE_TAKEN.of(vnf))
    row = await driver.fetchrow(_take_op_occ_sql(vnf is not None), *args)
    if row is None:
        return None
    locked = LockedInstance(row[0], row[1], row[2])
    return locked, None if row[3] is None else HeldOpOcc(row[3], row[4], row[5])


@functools.cache
def _set_instance_sql(names: tuple[str, ...]) -> tuple[Binder, str]:
    binder = Binder(vnf_instances, names)
    return binder, (
        f"UPDATE {qualified(vnf_instances)} SET {binder.assignments(2)}, "
        "version = version + 1 WHERE id = $1"
    )


async def set_locked_instance(
    driver: asyncpg.Connection, instance_id: uuid.UUID, **values: Any
) -> None:
    """``set_instance`` as SQL (bumps the version, the ETag)."""
    binder, sql = _set_instance_sql(tuple(values))
    await driver.execute(sql, instance_id, *binder.of(None, **values))


_INSTANCE_TAKEN = Binder(vnf_instances, ("instantiation_state", "instantiated_vnf_info"))


def _take_view_sql(revision: int, vnf_id: str, *, source: str | None = None) -> str:
    """The UPDATE by which a VNF's record takes lifecycle's view (``$revision``, then the
    ``_INSTANCE_TAKEN`` columns) unless it has that revision or a later one: of the VNF
    ``vnf_id`` names, an expression over ``source`` when one is given."""
    source_sql = f"FROM {source} " if source is not None else ""
    return (
        f"UPDATE {qualified(vnf_instances)} AS v "
        f"SET {_INSTANCE_TAKEN.assignments(revision + 1)}, revision = ${revision}, "
        f"version = v.version + 1 {source_sql}WHERE v.id = {vnf_id} AND v.revision < ${revision}"
    )


_TAKE_INSTANCE_SQL = _take_view_sql(2, "$1")


async def take_instance_snapshot(
    driver: asyncpg.Connection, instance_id: uuid.UUID, view: VnfView
) -> None:
    """lifecycle's ``view`` of the VNF, unless the record has that revision or a later one
    already (the row lock is the update's own)."""
    await driver.execute(_TAKE_INSTANCE_SQL, instance_id, view.revision, *_INSTANCE_TAKEN.of(view))


# --- the start of a task (tasks.start_task), as SQL: one read and one write ----------------

# What a task's checks need of its VNF's package: the flavour's VDUs and their templates.
_PACKAGE_OF_TASK = ("vnfd_id", "vnfd", "vdu_templates")


@functools.cache
def _instance_for_task_sql(with_package: bool) -> str:
    if not with_package:
        return f"SELECT * FROM {qualified(vnf_instances)} WHERE id = $1"
    package = ", ".join(f"package.{name} AS package_{name}" for name in _PACKAGE_OF_TASK)
    return (
        f"SELECT instance.*, package.id AS package_id, {package} "
        f"FROM {qualified(vnf_instances)} AS instance "
        f"LEFT JOIN {qualified(vnf_packages)} AS package "
        "ON package.id = instance.vnf_package_id WHERE instance.id = $1"
    )


async def instance_for_task(
    driver: asyncpg.Connection, instance_id: uuid.UUID, *, with_package: bool
) -> dict[str, Any] | None:
    """The VNF's row as it is (no lock: ``start_op_occ`` writes only if its version is
    still the one read), with ``package_<column>`` of what its package's checks need
    (``package_id`` NULL: the package is gone)."""
    return record_dict(await driver.fetchrow(_instance_for_task_sql(with_package), instance_id))


_OP_STARTED = Binder(
    vnf_lcm_op_occs,
    (
        "id",
        "tenant_id",
        "vnf_instance_id",
        "operation",
        "operation_state",
        "operation_params",
        "start_time",
        "state_entered_time",
        "pending_since",
    ),
)


@functools.cache
def _start_op_occ_sql() -> str:
    """Parameters: the ``_OP_STARTED`` columns, the VNF's version as read, then the
    outbox's arrays."""
    op_id, vnf_id = _OP_STARTED.position("id"), _OP_STARTED.position("vnf_instance_id")
    version = len(_OP_STARTED.names) + 1
    return (
        f"WITH instance AS (UPDATE {qualified(vnf_instances)} "
        f"SET operation_in_progress = ${op_id}, version = version + 1 "
        f"WHERE id = ${vnf_id} AND version = ${version} AND operation_in_progress IS NULL "
        "RETURNING id), "
        f"op AS (INSERT INTO {qualified(vnf_lcm_op_occs)} ({column_list(_OP_STARTED.names)}) "
        f"SELECT {_OP_STARTED.placeholders()} FROM instance RETURNING id), "
        f"announced AS ({OutboxSql.of(outbox).insert_if(version + 1, 'SELECT FROM op')}) "
        "SELECT EXISTS (SELECT FROM op)"
    )


async def start_op_occ(
    driver: asyncpg.Connection,
    *,
    op: dict[str, Any],
    version: int,
    outbox_rows: OutboxRows,
) -> bool:
    """Insert the op occ, make it the VNF's ``operation_in_progress`` and write its outbox
    rows, in one statement, if the VNF is still at ``version`` (what the task was checked
    against) with no operation in progress. False: nothing was written. The update takes
    the VNF's row lock, so of two api replicas starting a task at once the second waits,
    then finds the version changed; the unique partial index on unfinished op occs refuses
    a second one all the same (asyncpg.UniqueViolationError)."""
    started: bool = await driver.fetchval(
        _start_op_occ_sql(), *_OP_STARTED.of(None, **op), version, *outbox_rows
    )
    return started


# --- a VNF's creation (instances.create_instance), as SQL: one statement ------------------

_INSTANCE_CREATED = Binder(
    vnf_instances,
    (
        "id",
        "tenant_id",
        "name",
        "description",
        "vnfd_id",
        "vnf_provider",
        "vnf_product_name",
        "vnf_software_version",
        "vnfd_version",
        "vnf_package_id",
        "instantiation_state",
        "vnf_metadata",
    ),
)


@functools.cache
def _add_instance_sql() -> str:
    """Parameters: the ``_INSTANCE_CREATED`` columns, then the outbox's arrays."""
    package_id = _INSTANCE_CREATED.position("vnf_package_id")
    packages = qualified(vnf_packages)
    return (
        f"WITH package AS (SELECT id FROM {packages} WHERE id = ${package_id} "
        "AND onboarding_state = 'ONBOARDED' AND operational_state = 'ENABLED' FOR UPDATE), "
        f"instance AS (INSERT INTO {qualified(vnf_instances)} "
        f"({column_list(_INSTANCE_CREATED.names)}) "
        f"SELECT {_INSTANCE_CREATED.placeholders()} FROM package RETURNING *), "
        f"used AS (UPDATE {packages} SET usage_state = 'IN_USE' WHERE id = ${package_id} "
        "AND usage_state <> 'IN_USE' AND EXISTS (SELECT FROM instance)), "
        "announced AS ("
        f"{OutboxSql.of(outbox).insert_if(len(_INSTANCE_CREATED.names) + 1, 'SELECT FROM instance')}"
        ") SELECT * FROM instance"
    )


async def add_instance_of_package(
    driver: asyncpg.Connection, *, values: dict[str, Any], outbox_rows: OutboxRows
) -> dict[str, Any] | None:
    """The new row, with its defaults, and its outbox rows, in one statement (a transaction
    of its own): only if its package (``vnf_package_id``) is still ONBOARDED and ENABLED,
    whose row it locks (a concurrent package DELETE sees the instance) and marks IN_USE.
    None: nothing was written."""
    created = await driver.fetchrow(
        _add_instance_sql(), *_INSTANCE_CREATED.of(None, **values), *outbox_rows
    )
    return record_dict(created)
