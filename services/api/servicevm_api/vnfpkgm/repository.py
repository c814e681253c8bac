"""Queries of ``api.vnf_packages``."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import asyncpg
from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import vnf_packages
from servicevm_api.adapters.sql import qualified, record_dict

# Every column but the zip: lists and state reads never carry the content.
INFO_COLUMNS = [c for c in vnf_packages.c if c.name != "content"]


async def add(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(vnf_packages).values(**values))


async def get(
    conn: AsyncConnection, package_id: uuid.UUID, *, lock: bool = False, content: bool = False
) -> Row[Any] | None:
    columns = [*INFO_COLUMNS, vnf_packages.c.content] if content else INFO_COLUMNS
    query = select(*columns).where(vnf_packages.c.id == package_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def list_visible(conn: AsyncConnection, *, tenant_id: str | None) -> list[Row[Any]]:
    """Every package of a tenant (None: of all tenants), by id."""
    query = select(*INFO_COLUMNS).order_by(vnf_packages.c.id)
    if tenant_id is not None:
        query = query.where(vnf_packages.c.tenant_id == tenant_id)
    return list((await conn.execute(query)).all())


async def set_fields(conn: AsyncConnection, package_id: uuid.UUID, **values: Any) -> None:
    await conn.execute(update(vnf_packages).where(vnf_packages.c.id == package_id).values(**values))


async def remove(conn: AsyncConnection, package_id: uuid.UUID) -> None:
    await conn.execute(delete(vnf_packages).where(vnf_packages.c.id == package_id))


async def onboarded_with_vnfd(
    conn: AsyncConnection, *, tenant_id: str, vnfd_id: str
) -> uuid.UUID | None:
    """The ONBOARDED package of the project with that vnfdId, if any."""
    found = await conn.scalar(
        select(vnf_packages.c.id).where(
            vnf_packages.c.tenant_id == tenant_id,
            vnf_packages.c.vnfd_id == vnfd_id,
            vnf_packages.c.onboarding_state == "ONBOARDED",
        )
    )
    return uuid.UUID(str(found)) if found is not None else None


# What a new VNF instance takes from its package.
_IDENTITY_COLUMNS = (
    "id",
    "operational_state",
    "vnfd_id",
    "vnf_provider",
    "vnf_product_name",
    "vnf_software_version",
    "vnfd_version",
)


@functools.cache
def _identity_of_onboarded_sql() -> str:
    return (
        f"SELECT {', '.join(_IDENTITY_COLUMNS)} FROM {qualified(vnf_packages)} "
        "WHERE tenant_id = $1 AND vnfd_id = $2 AND onboarding_state = 'ONBOARDED'"
    )


async def identity_of_onboarded(
    driver: asyncpg.Connection, *, tenant_id: str, vnfd_id: str
) -> dict[str, Any] | None:
    """The ONBOARDED package of the project with that vnfdId, if any, with what a new
    instance takes from it (not its VNFD, which a create does not read). Not locked: the
    instance's insert locks it (``vnflcm.repository.add_instance_of_package``)."""
    return record_dict(await driver.fetchrow(_identity_of_onboarded_sql(), tenant_id, vnfd_id))
