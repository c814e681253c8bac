"""The queries of the grant job: claim the ops that wait for the NFVO, release a claim."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import vnf_lcm_op_occs as ops
from servicevm_lifecycle.vnflcm.domain import states as st

# STARTING: the first ask; PROCESSING: a RETRY asking again (FAILED_TEMP waits for a user).
ASKING = (st.STARTING, st.PROCESSING)


async def claim_due(
    conn: AsyncConnection, *, now: datetime, until: datetime, limit: int = 10
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(vnf id, op id) of ops waiting for a grant that nobody holds, now held ``until``."""
    due = (
        select(ops.c.id)
        .where(
            ops.c.nfvo_grant.is_not(None),
            ops.c.nfvo_grant["status"].astext != "GRANTED",
            ops.c.state.in_(ASKING),
            or_(ops.c.grant_claimed_until.is_(None), ops.c.grant_claimed_until < now),
        )
        .order_by(ops.c.start_time)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await conn.execute(
        update(ops)
        .where(ops.c.id.in_(due.scalar_subquery()))
        .values(grant_claimed_until=until)
        .returning(ops.c.vnf_instance_id, ops.c.id)
    )
    return [(row.vnf_instance_id, row.id) for row in rows]


async def hold(conn: AsyncConnection, *, op_id: uuid.UUID, until: datetime | None) -> None:
    """Release the op's claim (None), or keep it until the next poll of an async grant."""
    await conn.execute(update(ops).where(ops.c.id == op_id).values(grant_claimed_until=until))
