"""mgmt's record of the api's VNF instances (``vnf_records``) and of the last state
notified of each op occ (``vnf_op_notices``). The statements are built once: only their
parameters change from call to call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import vnf_op_notices, vnf_records
from servicevm_mgmt.adapters.repository import driver_of
from shared.contracts.vnflcm import VnfIdentity
from shared.db.raw import qualified

# Every op event writes these (the identity on each START, the notice on every change):
# SQL written once, prepared by asyncpg once per connection, no SQLAlchemy Core per call.
_IDENTITY_COLUMNS = tuple(c.name for c in vnf_records.c)
_KEEP_IDENTITY = (
    f"INSERT INTO {qualified(vnf_records)} ({', '.join(_IDENTITY_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_IDENTITY_COLUMNS) + 1))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _IDENTITY_COLUMNS if c != "id")
)
_IDENTITY_OF = select(vnf_records).where(vnf_records.c.id == bindparam("vnf_instance_id"))


async def keep_identity(conn: AsyncConnection, identity: VnfIdentity) -> None:
    values = identity.model_dump()
    await (await driver_of(conn)).execute(_KEEP_IDENTITY, *(values[c] for c in _IDENTITY_COLUMNS))


async def identity_of(conn: AsyncConnection, vnf_instance_id: uuid.UUID) -> VnfIdentity | None:
    row = (await conn.execute(_IDENTITY_OF, {"vnf_instance_id": vnf_instance_id})).first()
    return None if row is None else VnfIdentity.model_validate(row, from_attributes=True)


async def forget_instance(conn: AsyncConnection, vnf_instance_id: uuid.UUID) -> None:
    await conn.execute(delete(vnf_records).where(vnf_records.c.id == vnf_instance_id))
    await conn.execute(
        delete(vnf_op_notices).where(vnf_op_notices.c.vnf_instance_id == vnf_instance_id)
    )


@dataclass(frozen=True)
class Notice:
    """The last state notified of an op occ, and the revision it came with."""

    operation_state: str
    revision: int


# STARTING at revision -1 for an op occ not seen before (its START is still to be
# notified); an existing one is locked by a no-op update, and returned as it was.
# xmax is 0 only in a row version this statement inserted.
_NOTICES = qualified(vnf_op_notices)
_LOCK_NOTICE = (
    f"INSERT INTO {_NOTICES} (op_occ_id, vnf_instance_id, operation_state, revision) "
    "VALUES ($1, $2, 'STARTING', -1) "
    "ON CONFLICT (op_occ_id) DO UPDATE SET op_occ_id = excluded.op_occ_id "
    "RETURNING operation_state, revision, xmax = '0'::xid AS made"
)
_SET_NOTICE = f"UPDATE {_NOTICES} SET operation_state = $2, revision = $3 WHERE op_occ_id = $1"


async def lock_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, vnf_instance_id: uuid.UUID
) -> tuple[Notice, bool]:
    """The op occ's notice, locked (a concurrent handler of the same op waits), and whether
    it was made now (STARTING at revision -1: its START is still to be notified): one
    statement."""
    row = await (await driver_of(conn)).fetchrow(_LOCK_NOTICE, op_occ_id, vnf_instance_id)
    return Notice(row["operation_state"], row["revision"]), bool(row["made"])


async def set_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, operation_state: str, revision: int
) -> None:
    await (await driver_of(conn)).execute(_SET_NOTICE, op_occ_id, operation_state, revision)
