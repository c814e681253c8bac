"""The api's VIM view: registrations as clients see them, their status from lifecycle."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import device_templates, devices, vims
from shared.contracts.events import VimStatusChanged


async def add_vim(conn: AsyncConnection, *, values: dict[str, Any]) -> None:
    await conn.execute(insert(vims).values(**values))


async def clear_default(conn: AsyncConnection, *, tenant_id: str) -> None:
    """Before a VIM becomes its project's default: the others stop being it. Serialized per
    project, so concurrent requests never break the one-default rule (a unique index)."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"vims:{tenant_id}"}
    )
    await conn.execute(
        update(vims)
        .where(vims.c.tenant_id == tenant_id, vims.c.is_default)
        .values(is_default=False)
    )


async def update_vim(conn: AsyncConnection, *, vim_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(update(vims).where(vims.c.id == vim_id).values(**values))


async def delete_vim(conn: AsyncConnection, *, vim_id: uuid.UUID) -> None:
    await conn.execute(delete(vims).where(vims.c.id == vim_id))


async def vim_users(conn: AsyncConnection, *, vim_id: uuid.UUID) -> list[uuid.UUID]:
    """Templates and devices that name the VIM (a few, for the error message)."""
    users: list[uuid.UUID] = []
    for table in (device_templates, devices):
        rows = await conn.execute(select(table.c.id).where(table.c.vim_id == vim_id).limit(10))
        users += rows.scalars()
    return users


async def apply_status(conn: AsyncConnection, *, event: VimStatusChanged) -> None:
    """Take lifecycle's check unless a later one is held."""
    await conn.execute(
        update(vims)
        .where(vims.c.id == event.vim_id, vims.c.status_revision < event.revision)
        .values(
            status=event.status, status_reason=event.status_reason, status_revision=event.revision
        )
    )
