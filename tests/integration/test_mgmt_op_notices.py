"""mgmt's record of the SOL003 notifications sent for each op occ, against Postgres.

``records.lock_notice`` makes an op occ's notice row holding what the caller will have
notified (its START and states) and answers None, or answers the row as it was, unchanged;
with an identity it also keeps the VNF's identity, in the same statement, as
``keep_identity`` does (inserted, then replaced by a newer one)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import vnf_op_notices, vnf_records
from servicevm_mgmt.bootstrap import DEFINITION
from servicevm_mgmt.sol003 import records
from shared.config import Settings
from shared.contracts.vnflcm import VnfIdentity
from tests.support.db import in_rolled_back_transaction


def _identity(vnf_id: uuid.UUID, name: str) -> VnfIdentity:
    return VnfIdentity(
        id=vnf_id,
        tenant_id="project-a",
        name=name,
        vnfd_id="vnfd-1",
        vnf_provider="Company",
        vnf_product_name="Sample",
        vnf_software_version="1.0",
        vnfd_version="1.0",
    )


def test_notice_made_with_what_was_notified_then_returned_as_it_was(database: Settings) -> None:
    async def body(conn: AsyncConnection) -> None:
        op_id, vnf_id = uuid.uuid4(), uuid.uuid4()
        processing = records.Notice("PROCESSING", 2)
        made = await records.lock_notice(
            conn, op_occ_id=op_id, vnf_instance_id=vnf_id, if_made=processing
        )
        assert made is None
        again = await records.lock_notice(
            conn, op_occ_id=op_id, vnf_instance_id=vnf_id, if_made=records.UNSEEN
        )
        assert again == processing  # the row as the first call made it, not if_made
        stored = (
            await conn.execute(
                select(vnf_op_notices.c.operation_state, vnf_op_notices.c.revision).where(
                    vnf_op_notices.c.op_occ_id == op_id
                )
            )
        ).one()
        assert tuple(stored) == ("PROCESSING", 2)
        assert await records.identity_of(conn, vnf_id) is None  # none given, none kept

    in_rolled_back_transaction(DEFINITION, database, body)


def test_notice_lock_keeps_the_identity_in_the_same_statement(database: Settings) -> None:
    async def body(conn: AsyncConnection) -> None:
        vnf_id = uuid.uuid4()
        first_op, second_op = uuid.uuid4(), uuid.uuid4()
        await records.lock_notice(
            conn,
            op_occ_id=first_op,
            vnf_instance_id=vnf_id,
            if_made=records.Notice("STARTING", 1),
            identity=_identity(vnf_id, "before"),
        )
        assert await records.identity_of(conn, vnf_id) == _identity(vnf_id, "before")
        held = await records.lock_notice(
            conn,
            op_occ_id=first_op,
            vnf_instance_id=vnf_id,
            if_made=records.UNSEEN,
            identity=_identity(vnf_id, "renamed"),
        )
        assert held == records.Notice("STARTING", 1)
        assert await records.identity_of(conn, vnf_id) == _identity(vnf_id, "renamed")
        await records.lock_notice(
            conn,
            op_occ_id=second_op,
            vnf_instance_id=vnf_id,
            if_made=records.Notice("STARTING", 1),
            identity=_identity(vnf_id, "renamed"),
        )
        count = await conn.scalar(
            select(func.count()).select_from(vnf_records).where(vnf_records.c.id == vnf_id)
        )
        assert count == 1  # one identity row per VNF, whatever its ops

    in_rolled_back_transaction(DEFINITION, database, body)
