"""Queries of ``api.vnf_instances`` and ``api.vnf_lcm_op_occs``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import vnf_instances, vnf_lcm_op_occs


async def add_instance(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(vnf_instances).values(**values))


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


async def set_instance_if_newer(
    conn: AsyncConnection, instance_id: uuid.UUID, revision: int, **values: Any
) -> None:
    """lifecycle's view at ``revision``, unless the record has that one or a later one
    already (one statement: the row lock is the update's own)."""
    await conn.execute(
        update(vnf_instances)
        .where(vnf_instances.c.id == instance_id, vnf_instances.c.revision < revision)
        .values(**values, revision=revision, version=vnf_instances.c.version + 1)
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
