"""mgmt's record of the api's VNF instances (``vnf_records``) and of the last state
notified of each op occ (``vnf_op_notices``). The statements are built once: only their
parameters change from call to call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import vnf_op_notices, vnf_records
from shared.contracts.vnflcm import VnfIdentity

# Its VALUES come from the parameters' keys (every column of VnfIdentity).
_inserted = pg_insert(vnf_records)
_KEEP_IDENTITY = _inserted.on_conflict_do_update(
    index_elements=[vnf_records.c.id],
    set_={c.name: _inserted.excluded[c.name] for c in vnf_records.c if c.name != "id"},
)
_IDENTITY_OF = select(vnf_records).where(vnf_records.c.id == bindparam("vnf_instance_id"))


async def keep_identity(conn: AsyncConnection, identity: VnfIdentity) -> None:
    await conn.execute(_KEEP_IDENTITY, identity.model_dump())


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
_inserted_notice = pg_insert(vnf_op_notices).values(
    op_occ_id=bindparam("p_op_occ_id"),
    vnf_instance_id=bindparam("p_vnf_instance_id"),
    operation_state="STARTING",
    revision=-1,
)
_LOCK_NOTICE = _inserted_notice.on_conflict_do_update(
    index_elements=[vnf_op_notices.c.op_occ_id],
    set_={"op_occ_id": _inserted_notice.excluded.op_occ_id},
).returning(
    vnf_op_notices.c.operation_state,
    vnf_op_notices.c.revision,
    (literal_column("xmax") == literal_column("'0'::xid")).label("made"),
)
_SET_NOTICE = (
    update(vnf_op_notices)
    .where(vnf_op_notices.c.op_occ_id == bindparam("p_op_occ_id"))
    .values(operation_state=bindparam("p_operation_state"), revision=bindparam("p_revision"))
)


async def lock_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, vnf_instance_id: uuid.UUID
) -> tuple[Notice, bool]:
    """The op occ's notice, locked (a concurrent handler of the same op waits), and whether
    it was made now (STARTING at revision -1: its START is still to be notified): one
    statement."""
    row = (
        await conn.execute(
            _LOCK_NOTICE, {"p_op_occ_id": op_occ_id, "p_vnf_instance_id": vnf_instance_id}
        )
    ).one()
    return Notice(row.operation_state, row.revision), bool(row.made)


async def set_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, operation_state: str, revision: int
) -> None:
    await conn.execute(
        _SET_NOTICE,
        {"p_op_occ_id": op_occ_id, "p_operation_state": operation_state, "p_revision": revision},
    )
