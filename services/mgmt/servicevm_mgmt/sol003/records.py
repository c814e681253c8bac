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


def _keep_identity_sql(first: int) -> str:
    """The upsert of a VNF's identity, its columns' values from ``$first`` onwards."""
    values = range(first, first + len(_IDENTITY_COLUMNS))
    return (
        f"INSERT INTO {qualified(vnf_records)} ({', '.join(_IDENTITY_COLUMNS)}) "
        f"VALUES ({', '.join(f'${n}' for n in values)}) "
        "ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _IDENTITY_COLUMNS if c != "id")
    )


_KEEP_IDENTITY = _keep_identity_sql(1)
_IDENTITY_OF = select(vnf_records).where(vnf_records.c.id == bindparam("vnf_instance_id"))


async def keep_identity(conn: AsyncConnection, identity: VnfIdentity) -> None:
    await (await driver_of(conn)).execute(_KEEP_IDENTITY, *_identity_values(identity))


def _identity_values(identity: VnfIdentity) -> list[object]:
    """``_keep_identity_sql``'s parameters, in its columns' order."""
    values = identity.model_dump()
    return [values[c] for c in _IDENTITY_COLUMNS]


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


# An op occ not seen before: its START is still to be notified.
UNSEEN = Notice("STARTING", -1)

# The op occ's notice row, locked (an existing one by a no-op update, returned as it was),
# or made with ``if_made``: what the caller would write after notifying an unseen op.
# xmax is 0 only in a row version this statement inserted.
_NOTICES = qualified(vnf_op_notices)
_LOCK_NOTICE = (
    f"INSERT INTO {_NOTICES} (op_occ_id, vnf_instance_id, operation_state, revision) "
    "VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (op_occ_id) DO UPDATE SET op_occ_id = excluded.op_occ_id "
    "RETURNING operation_state, revision, xmax = '0'::xid AS made"
)
# The same, with the VNF's identity kept as ``keep_identity`` keeps it: one round trip.
_KEEP_IDENTITY_AND_LOCK_NOTICE = f"WITH kept AS ({_keep_identity_sql(5)}) {_LOCK_NOTICE}"
_SET_NOTICE = f"UPDATE {_NOTICES} SET operation_state = $2, revision = $3 WHERE op_occ_id = $1"


async def lock_notice(
    conn: AsyncConnection,
    *,
    op_occ_id: uuid.UUID,
    vnf_instance_id: uuid.UUID,
    if_made: Notice,
    identity: VnfIdentity | None = None,
) -> Notice | None:
    """The op occ's notice as it was, locked (a concurrent handler of the same op waits);
    None when it was made now, holding ``if_made``. ``identity``: kept as ``keep_identity``
    keeps it, in the same statement."""
    args = [op_occ_id, vnf_instance_id, if_made.operation_state, if_made.revision]
    sql = _LOCK_NOTICE
    if identity is not None:
        args.extend(_identity_values(identity))
        sql = _KEEP_IDENTITY_AND_LOCK_NOTICE
    row = await (await driver_of(conn)).fetchrow(sql, *args)
    return None if row["made"] else Notice(row["operation_state"], row["revision"])


async def set_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, operation_state: str, revision: int
) -> None:
    await (await driver_of(conn)).execute(_SET_NOTICE, op_occ_id, operation_state, revision)
