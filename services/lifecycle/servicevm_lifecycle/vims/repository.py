"""Reading and writing lifecycle's vims table. Keyword-only arguments; secrets stay encrypted."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import devices, vims
from shared.contracts.models import VimSpec, VimStatus


async def _lock_tenant_defaults(conn: AsyncConnection, *, tenant_id: str) -> None:
    """Serialize changes of one project's default VIM (at most one, a unique index says)."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"vims:{tenant_id}"}
    )


async def _clear_default(conn: AsyncConnection, *, tenant_id: str, keep: uuid.UUID) -> None:
    await _lock_tenant_defaults(conn, tenant_id=tenant_id)
    await conn.execute(
        update(vims)
        .where(vims.c.tenant_id == tenant_id, vims.c.is_default, vims.c.id != keep)
        .values(is_default=False)
    )


async def add_vim(conn: AsyncConnection, *, vim_id: uuid.UUID, spec: VimSpec) -> bool:
    """Insert the VIM (PENDING); False if it was already there (a redelivered command)."""
    if spec.is_default:
        await _clear_default(conn, tenant_id=spec.tenant_id, keep=vim_id)
    result = await conn.execute(
        pg_insert(vims)
        .values(id=vim_id, status=VimStatus.PENDING, revision=0, **spec.model_dump())
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


async def get_vim(
    conn: AsyncConnection, *, vim_id: uuid.UUID, for_update: bool = False
) -> Row[Any] | None:
    query = select(vims).where(vims.c.id == vim_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def update_vim(
    conn: AsyncConnection,
    *,
    vim_id: uuid.UUID,
    tenant_id: str,
    values: dict[str, Any],
) -> None:
    if values.get("is_default"):
        await _clear_default(conn, tenant_id=tenant_id, keep=vim_id)
    await conn.execute(update(vims).where(vims.c.id == vim_id).values(**values))


async def set_status(
    conn: AsyncConnection, *, vim_id: uuid.UUID, status: str, reason: str | None
) -> int | None:
    """Record a check's outcome; the VIM's new revision, None if it is gone."""
    revision: int | None = await conn.scalar(
        update(vims)
        .where(vims.c.id == vim_id)
        .values(status=status, status_reason=reason, revision=vims.c.revision + 1)
        .returning(vims.c.revision)
    )
    return revision


async def pending_vims(conn: AsyncConnection) -> list[uuid.UUID]:
    rows = await conn.execute(select(vims.c.id).where(vims.c.status == VimStatus.PENDING))
    return list(rows.scalars())


async def default_vim_id(conn: AsyncConnection, *, tenant_id: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.scalar(
        select(vims.c.id).where(vims.c.tenant_id == tenant_id, vims.c.is_default)
    )
    return found


async def vim_in_use(conn: AsyncConnection, *, vim_id: uuid.UUID) -> bool:
    """A device is built in it. (Templates are the api's to check: it deletes a template
    at once, so its DeleteDeviceTemplate may still be in flight here.)"""
    return bool(await conn.scalar(select(devices.c.id).where(devices.c.vim_id == vim_id).limit(1)))


async def delete_vim(conn: AsyncConnection, *, vim_id: uuid.UUID) -> None:
    await conn.execute(delete(vims).where(vims.c.id == vim_id))


async def lock_secrets(conn: AsyncConnection) -> list[tuple[uuid.UUID, str]]:
    rows = await conn.execute(
        select(vims.c.id, vims.c.encrypted_secret).order_by(vims.c.id).with_for_update()
    )
    return [(row.id, row.encrypted_secret) for row in rows]


async def set_secret(conn: AsyncConnection, *, vim_id: uuid.UUID, encrypted_secret: str) -> None:
    await conn.execute(
        update(vims).where(vims.c.id == vim_id).values(encrypted_secret=encrypted_secret)
    )
