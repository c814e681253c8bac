"""mgmt's record of the api's VNF instances (``vnf_records``) and of the last state
notified of each op occ (``vnf_op_notices``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import vnf_op_notices, vnf_records
from shared.contracts.vnflcm import VnfIdentity


async def keep_identity(conn: AsyncConnection, identity: VnfIdentity) -> None:
    values = identity.model_dump()
    await conn.execute(
        pg_insert(vnf_records)
        .values(**values)
        .on_conflict_do_update(index_elements=[vnf_records.c.id], set_=values)
    )


async def identity_of(conn: AsyncConnection, vnf_instance_id: uuid.UUID) -> VnfIdentity | None:
    row = (
        await conn.execute(select(vnf_records).where(vnf_records.c.id == vnf_instance_id))
    ).first()
    return None if row is None else VnfIdentity.model_validate(row, from_attributes=True)


async def forget_instance(conn: AsyncConnection, vnf_instance_id: uuid.UUID) -> None:
    await conn.execute(delete(vnf_records).where(vnf_records.c.id == vnf_instance_id))
    await conn.execute(
        delete(vnf_op_notices).where(vnf_op_notices.c.vnf_instance_id == vnf_instance_id)
    )


async def lock_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, vnf_instance_id: uuid.UUID, revision: int
) -> tuple[Row[Any], bool]:
    """The op occ's notice, locked (a concurrent handler of the same op waits), and whether
    it was made now (STARTING at ``revision``: its START is still to be notified)."""
    inserted = await conn.execute(
        pg_insert(vnf_op_notices)
        .values(
            op_occ_id=op_occ_id,
            vnf_instance_id=vnf_instance_id,
            operation_state="STARTING",
            revision=revision,
        )
        .on_conflict_do_nothing(index_elements=[vnf_op_notices.c.op_occ_id])
        .returning(vnf_op_notices.c.op_occ_id)
    )
    made = inserted.first() is not None
    query = select(vnf_op_notices).where(vnf_op_notices.c.op_occ_id == op_occ_id).with_for_update()
    return (await conn.execute(query)).one(), made


async def set_notice(
    conn: AsyncConnection, *, op_occ_id: uuid.UUID, operation_state: str, revision: int
) -> None:
    await conn.execute(
        update(vnf_op_notices)
        .where(vnf_op_notices.c.op_occ_id == op_occ_id)
        .values(operation_state=operation_state, revision=revision)
    )
