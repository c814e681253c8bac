"""Reading and writing the VNF aggregate and its op occs. Keyword-only arguments, domain
objects out. Plans and targets are stored as JSON through pydantic's TypeAdapter."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import devices, vnf_instances, vnf_lcm_op_occs, vnfcs
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.grants import Grant
from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf, Vnfc, VnfTarget
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from shared.contracts.vnflcm import VnfFlavourSpec, VnfState
from shared.db.raw import Driver, qualified

STEPS = TypeAdapter(tuple[Step, ...])
STEP = TypeAdapter(Step)
TARGET = TypeAdapter(VnfTarget)
GRANT = TypeAdapter(Grant | None)


# --- the VNF -----------------------------------------------------------------------------


async def vnf_for_op(conn: AsyncConnection, *, vnf_id: uuid.UUID, tenant_id: str) -> Vnf:
    """The VNF, locked; first written, NOT_INSTANTIATED, if lifecycle has not seen it yet
    (its first op). A new row comes back from its INSERT (locked: no other transaction
    sees it before this one commits), with no VNFCs to read."""
    driver = await (await Driver.under(conn)).in_transaction()
    row = await driver.fetchrow(_VnfSql.get().insert_new, vnf_id, tenant_id)
    if row is not None:
        return _vnf(row, ())
    found = await get_vnf(conn, vnf_id=vnf_id, for_update=True)
    assert found is not None  # it was there to conflict with, and is not deleted while locked
    return found


async def get_vnf(
    conn: AsyncConnection,
    *,
    vnf_id: uuid.UUID,
    for_update: bool = False,
    with_vnfcs: bool = True,
) -> Vnf | None:
    """The VNF; ``with_vnfcs=False`` leaves ``vnfcs`` empty (one statement fewer, for a
    caller that reads none of them)."""
    sql = _VnfSql.get()
    driver = await (await Driver.under(conn)).in_transaction()
    row = await driver.fetchrow(sql.select_for_update if for_update else sql.select, vnf_id)
    if row is None:
        return None
    vnfcs = await vnfcs_of(conn, vnf_id=vnf_id) if with_vnfcs else ()
    return _vnf(row, vnfcs)


def _vnf(row: Any, vnfcs: tuple[Vnfc, ...]) -> Vnf:
    return Vnf(
        id=row["id"],
        tenant_id=row["tenant_id"],
        instantiation_state=row["instantiation_state"],
        flavour=None if row["flavour"] is None else _flavour(row["flavour"]),
        instantiation_level_id=row["instantiation_level_id"],
        scale_status=row["scale_status"],
        vnf_state=row["vnf_state"],
        vim_id=row["vim_id"],
        ext_virtual_links=row["ext_virtual_links"],
        vnfcs=vnfcs,
        revision=row["revision"],
    )


async def vnfcs_of(conn: AsyncConnection, *, vnf_id: uuid.UUID) -> tuple[Vnfc, ...]:
    driver = await (await Driver.under(conn)).in_transaction()
    return tuple(_vnfc(v) for v in await driver.fetch(_VnfSql.get().vnfcs, vnf_id))


@functools.lru_cache(maxsize=256)
def _flavour(text: str) -> VnfFlavourSpec:
    """Parsed once per distinct flavour (the same for every message about a VNF, and for
    every VNF of a package); the spec is frozen, so one copy is shared."""
    return VnfFlavourSpec.model_validate_json(text)


_VNF_COLUMNS = (
    # A cleared flavour is stored as JSON null (SQLAlchemy's JSONB default).
    "id, tenant_id, instantiation_state, NULLIF(flavour, 'null'::jsonb)::text AS flavour, "
    "instantiation_level_id, scale_status, vnf_state, vim_id, ext_virtual_links, revision"
)


@dataclass(frozen=True)
class _VnfSql:
    """The statements of every op and settle, built once (``get`` is cached)."""

    select: str
    select_for_update: str
    insert_new: str
    vnfcs: str
    insert_vnfc: str
    point_vnfc: str
    vnfcs_with_status: str
    bump_revision_then_vnfcs: str
    save_then_vnfcs: str

    @classmethod
    @functools.cache
    def get(cls) -> _VnfSql:
        table = qualified(vnf_instances)
        select = f"SELECT {_VNF_COLUMNS} FROM {table} WHERE id = $1"
        vnfcs_with_status = (
            "SELECT v.id, v.vdu_id, v.device_id, v.seq, v.power_state, "
            f"d.status FROM {qualified(vnfcs)} v LEFT JOIN {qualified(devices)} d "
            "ON d.id = v.device_id WHERE v.vnf_instance_id = $1 ORDER BY v.seq"
        )
        return cls(
            select=select,
            select_for_update=f"{select} FOR UPDATE",
            insert_new=f"INSERT INTO {table} (id, tenant_id, instantiation_state, scale_status, "
            "ext_virtual_links, revision) VALUES ($1, $2, 'NOT_INSTANTIATED', '{}'::jsonb, "
            f"'[]'::jsonb, 0) ON CONFLICT DO NOTHING RETURNING {_VNF_COLUMNS}",
            vnfcs="SELECT id, vdu_id, device_id, seq, power_state "
            f"FROM {qualified(vnfcs)} WHERE vnf_instance_id = $1 ORDER BY seq",
            insert_vnfc=f"INSERT INTO {qualified(vnfcs)} (id, vnf_instance_id, vdu_id, device_id, "
            "power_state) VALUES ($1, $2, $3, $4, 'STARTED') ON CONFLICT DO NOTHING",
            point_vnfc=f"UPDATE {qualified(vnfcs)} SET device_id = $2, power_state = 'STARTED' "
            "WHERE id = $1",
            vnfcs_with_status=vnfcs_with_status,
            # A data-modifying WITH query runs whether or not the SELECT reads it; the
            # SELECT reads only VNFC and device rows, which the UPDATE does not touch.
            bump_revision_then_vnfcs=f"WITH bump AS (UPDATE {table} SET revision = $2, "
            f"updated_at = now() WHERE id = $1) {vnfcs_with_status}",
            save_then_vnfcs=f"WITH save AS (UPDATE {table} SET revision = $2, "
            "instantiation_state = $3, flavour = $4::jsonb, instantiation_level_id = $5, "
            "scale_status = $6::jsonb, vnf_state = $7, vim_id = $8, "
            f"ext_virtual_links = $9::jsonb, updated_at = now() WHERE id = $1) {vnfcs_with_status}",
        )


async def save_vnf_revision(conn: AsyncConnection, *, vnf: Vnf) -> list[tuple[Vnfc, str]]:
    """Only the revision: the VNF's own fields are as read (its VNFCs changed). Answers
    ``vnfcs_with_status``, read in the same statement."""
    driver = await (await Driver.under(conn)).in_transaction()
    rows = await driver.fetch(_VnfSql.get().bump_revision_then_vnfcs, vnf.id, vnf.revision)
    return _vnfcs_with_status(rows)


async def save_vnf(conn: AsyncConnection, *, vnf: Vnf) -> list[tuple[Vnfc, str]]:
    """Everything but the VNFCs, which change one by one. Answers ``vnfcs_with_status``,
    read in the same statement."""
    driver = await (await Driver.under(conn)).in_transaction()
    rows = await driver.fetch(
        _VnfSql.get().save_then_vnfcs,
        vnf.id,
        vnf.revision,
        vnf.instantiation_state,
        # None is stored as JSON null, as SQLAlchemy's JSONB stored it.
        "null" if vnf.flavour is None else vnf.flavour.model_dump_json(),
        vnf.instantiation_level_id,
        json.dumps(vnf.scale_status),
        vnf.vnf_state,
        vnf.vim_id,
        json.dumps(vnf.ext_virtual_links),
    )
    return _vnfcs_with_status(rows)


async def add_vnfc(
    conn: AsyncConnection,
    *,
    vnf_id: uuid.UUID,
    vnfc_id: uuid.UUID,
    vdu_id: str,
    device_id: uuid.UUID,
) -> bool:
    """A new VNFC, STARTED on ``device_id`` (a redelivery or a VNFC being healed keeps the
    one there: False)."""
    driver = await (await Driver.under(conn)).in_transaction()
    status = await driver.execute(_VnfSql.get().insert_vnfc, vnfc_id, vnf_id, vdu_id, device_id)
    return bool(status == "INSERT 0 1")


async def point_vnfc(conn: AsyncConnection, *, vnfc_id: uuid.UUID, device_id: uuid.UUID) -> None:
    """The VNFC now runs on that device (heal, or a retried create)."""
    driver = await (await Driver.under(conn)).in_transaction()
    await driver.execute(_VnfSql.get().point_vnfc, vnfc_id, device_id)


async def vnfc_device(conn: AsyncConnection, *, vnfc_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.scalar(
        select(vnfcs.c.device_id).where(vnfcs.c.id == vnfc_id)
    )
    return found


async def remove_vnf(conn: AsyncConnection, *, vnf_id: uuid.UUID) -> None:
    """The aggregate; its VNFC rows and op occs go with it (ON DELETE CASCADE)."""
    await conn.execute(delete(vnf_instances).where(vnf_instances.c.id == vnf_id))


async def remove_vnfc(conn: AsyncConnection, *, vnfc_id: uuid.UUID) -> None:
    await conn.execute(delete(vnfcs).where(vnfcs.c.id == vnfc_id))


async def set_power_state(
    conn: AsyncConnection, *, device_id: uuid.UUID, power_state: VnfState
) -> None:
    await conn.execute(
        update(vnfcs).where(vnfcs.c.device_id == device_id).values(power_state=power_state)
    )


async def device_exists(conn: AsyncConnection, *, device_id: uuid.UUID) -> bool:
    return (await conn.scalar(select(devices.c.id).where(devices.c.id == device_id))) is not None


async def vnfcs_with_status(conn: AsyncConnection, *, vnf_id: uuid.UUID) -> list[tuple[Vnfc, str]]:
    """The VNF's VNFCs now, each with its device's status (DELETED once the row is gone),
    in one statement."""
    driver = await (await Driver.under(conn)).in_transaction()
    return _vnfcs_with_status(await driver.fetch(_VnfSql.get().vnfcs_with_status, vnf_id))


def _vnfcs_with_status(rows: list[Any]) -> list[tuple[Vnfc, str]]:
    return [
        (
            Vnfc(
                id=row["id"],
                vdu_id=row["vdu_id"],
                device_id=row["device_id"],
                seq=row["seq"],
                power_state=row["power_state"],
            ),
            row["status"] or "DELETED",
        )
        for row in rows
    ]


def _vnfc(row: Any) -> Vnfc:
    return Vnfc(
        id=row["id"],
        vdu_id=row["vdu_id"],
        device_id=row["device_id"],
        seq=row["seq"],
        power_state=row["power_state"],
    )


# --- op occs -----------------------------------------------------------------------------


def _op_scalars(op: OpOcc) -> dict[str, Any]:
    """The columns written as they are (no serialising), in a fixed order."""
    return {
        "state": op.state,
        "state_entered_time": op.state_entered_time,
        "rolling_back": op.rolling_back,
        "cancel_requested": op.cancel_requested,
        "cancel_mode": op.cancel_mode,
        "error": op.error,
        "changed_info": op.changed_info,
        "changed_ext_connectivity": op.changed_ext_connectivity,
        "deadline": op.deadline,
    }


async def add_op(conn: AsyncConnection, *, op: OpOcc) -> bool:
    """Record the op; False when it is there already (a redelivered command)."""
    driver = await (await Driver.under(conn)).in_transaction()
    status = await driver.execute(
        _op_sql().insert,
        op.id,
        op.vnf_instance_id,
        op.tenant_id,
        op.operation,
        json.dumps(op.operation_params),
        op.is_automatic_invocation,
        op.start_time,
        op.state,
        op.state_entered_time,
        op.rolling_back,
        op.cancel_requested,
        op.cancel_mode,
        json.dumps(op.error),
        json.dumps(op.changed_info),
        json.dumps(op.changed_ext_connectivity),
        op.deadline,
        STEPS.dump_json(op.steps).decode(),
        STEPS.dump_json(op.rollback_steps).decode(),
        TARGET.dump_json(op.target).decode(),
        op.revision,
        GRANT.dump_json(op.grant).decode(),
    )
    return bool(status == "INSERT 0 1")


@dataclass(frozen=True)
class _OpSql:
    insert: str
    select: str
    select_for_update: str
    select_open: str


@functools.cache
def _op_sql() -> _OpSql:
    table = qualified(vnf_lcm_op_occs)
    columns = ", ".join(column.name for column in vnf_lcm_op_occs.c)
    # JSON columns are sent as text (json.dumps: None is stored as JSON null, as
    # SQLAlchemy's JSONB stored it).
    inserted = (
        ("id", ""),
        ("vnf_instance_id", ""),
        ("tenant_id", ""),
        ("operation", ""),
        ("operation_params", "::jsonb"),
        ("is_automatic_invocation", ""),
        ("start_time", ""),
        ("state", ""),
        ("state_entered_time", ""),
        ("rolling_back", ""),
        ("cancel_requested", ""),
        ("cancel_mode", ""),
        ("error", "::jsonb"),
        ("changed_info", "::jsonb"),
        ("changed_ext_connectivity", "::jsonb"),
        ("deadline", ""),
        ("steps", "::jsonb"),
        ("rollback_steps", "::jsonb"),
        ("target", "::jsonb"),
        ("revision", ""),
        ("nfvo_grant", "::jsonb"),
    )
    names = ", ".join(name for name, _ in inserted)
    values = ", ".join(f"${i}{cast}" for i, (_, cast) in enumerate(inserted, start=1))
    select = f"SELECT {columns} FROM {table} WHERE id = $1"
    return _OpSql(
        insert=f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING",
        select=select,
        select_for_update=f"{select} FOR UPDATE",
        select_open=f"SELECT {columns} FROM {table} "
        "WHERE vnf_instance_id = $1 AND state <> ALL($2::text[]) "
        "ORDER BY start_time DESC LIMIT 1 FOR UPDATE",
    )


async def save_op(conn: AsyncConnection, *, op: OpOcc, before: OpOcc | None = None) -> None:
    """Write the op; given the op as it was read (``before``), only what changed: a step
    settling rewrites that step of the plan, not the plan. As SQL on the driver: it runs
    on every settle, where SQLAlchemy's statement construction cost more than the write."""
    change = _OpUpdate()
    for (column, value), old in zip(
        _op_scalars(op).items(),
        _op_scalars(before).values() if before is not None else repeat(_UNREAD),
        strict=False,
    ):
        if value == old:
            continue
        if column in _JSON_SCALARS:
            change.set_json(column, value)
        else:
            change.set(column, value)
    for column, steps, old_steps in (
        ("steps", op.steps, None if before is None else before.steps),
        ("rollback_steps", op.rollback_steps, None if before is None else before.rollback_steps),
    ):
        if steps != old_steps:
            change.set_steps(column, steps, old_steps)
    if before is None or op.target != before.target:
        change.set("target", TARGET.dump_json(op.target).decode(), cast="::jsonb")
    if before is None or op.grant != before.grant:
        change.set("nfvo_grant", GRANT.dump_json(op.grant).decode(), cast="::jsonb")
    change.set("revision", op.revision)
    driver = await (await Driver.under(conn)).in_transaction()
    await driver.execute(change.sql(qualified(vnf_lcm_op_occs)), op.id, *change.params)


_JSON_SCALARS = frozenset({"error", "changed_info", "changed_ext_connectivity"})
_UNREAD = object()  # differs from every value: without ``before`` every column is written


class _OpUpdate:
    """An op occ's UPDATE as SQL: its SET assignments and their parameters ($1 is the id)."""

    def __init__(self) -> None:
        self.assignments: list[str] = []
        self.params: list[Any] = []

    def param(self, value: Any, cast: str = "") -> str:
        self.params.append(value)
        return f"${len(self.params) + 1}{cast}"

    def set(self, column: str, value: Any, *, cast: str = "") -> None:
        self.assignments.append(f"{column} = {self.param(value, cast)}")

    def set_json(self, column: str, value: Any) -> None:
        # None is stored as JSON null, as SQLAlchemy's JSONB stores it.
        self.set(column, json.dumps(value), cast="::jsonb")

    def set_steps(self, column: str, steps: tuple[Step, ...], old: tuple[Step, ...] | None) -> None:
        """The whole plan when steps were added or removed, else each changed step set in
        place (jsonb_set), so only those are serialised and sent."""
        if old is None or len(steps) != len(old):
            self.set(column, STEPS.dump_json(steps).decode(), cast="::jsonb")
            return
        value = column
        for index, (step, was) in enumerate(zip(steps, old, strict=True)):
            if step != was:
                path = self.param([str(index)], "::text[]")
                dumped = self.param(STEP.dump_json(step).decode(), "::jsonb")
                value = f"jsonb_set({value}, {path}, {dumped})"
        self.assignments.append(f"{column} = {value}")

    def sql(self, table: str) -> str:
        return f"UPDATE {table} SET {', '.join(self.assignments)} WHERE id = $1"


async def get_op(
    conn: AsyncConnection, *, op_id: uuid.UUID, for_update: bool = False
) -> OpOcc | None:
    sql = _op_sql()
    driver = await (await Driver.under(conn)).in_transaction()
    row = await driver.fetchrow(sql.select_for_update if for_update else sql.select, op_id)
    return None if row is None else _op(row)


async def open_op(conn: AsyncConnection, *, vnf_id: uuid.UUID) -> OpOcc | None:
    """The VNF's op that is not in a final state (at most one: the api guarantees it), locked.
    As SQL on the driver: every settle reads it."""
    driver = await (await Driver.under(conn)).in_transaction()
    row = await driver.fetchrow(_op_sql().select_open, vnf_id, sorted(st.FINAL))
    return None if row is None else _op(row)


async def ops_past_deadline(
    conn: AsyncConnection, *, now: datetime, limit: int = 100
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(vnf id, op id) of running ops past their deadline."""
    rows = await conn.execute(
        select(vnf_lcm_op_occs.c.vnf_instance_id, vnf_lcm_op_occs.c.id)
        .where(vnf_lcm_op_occs.c.state.in_(st.RUNNING), vnf_lcm_op_occs.c.deadline < now)
        .order_by(vnf_lcm_op_occs.c.deadline)
        .limit(limit)
    )
    return [(row.vnf_instance_id, row.id) for row in rows]


def _op(row: Mapping[Any, Any]) -> OpOcc:
    """An op from its row's columns by name (a SQLAlchemy row mapping or an asyncpg record)."""
    return OpOcc(
        id=row["id"],
        vnf_instance_id=row["vnf_instance_id"],
        tenant_id=row["tenant_id"],
        operation=row["operation"],
        state=row["state"],
        operation_params=row["operation_params"],
        is_automatic_invocation=row["is_automatic_invocation"],
        start_time=row["start_time"],
        state_entered_time=row["state_entered_time"],
        steps=STEPS.validate_python(row["steps"]),
        rollback_steps=STEPS.validate_python(row["rollback_steps"]),
        rolling_back=row["rolling_back"],
        target=TARGET.validate_python(row["target"]),
        cancel_requested=row["cancel_requested"],
        cancel_mode=row["cancel_mode"],
        error=row["error"],
        changed_info=row["changed_info"],
        changed_ext_connectivity=row["changed_ext_connectivity"],
        deadline=row["deadline"],
        revision=row["revision"],
        grant=GRANT.validate_python(row["nfvo_grant"]),
    )
