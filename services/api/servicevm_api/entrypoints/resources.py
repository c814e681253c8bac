"""What the device_templates and devices routes share: visibility, show and list."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Row, Table

from servicevm_api.adapters import repository as repo
from servicevm_api.entrypoints.deps import Caller
from servicevm_api.entrypoints.errors import not_found
from servicevm_api.entrypoints.listing import (
    next_links,
    parse_fields,
    parse_list_query,
    select_fields,
)
from servicevm_api.entrypoints.schemas import VISIBLE_ATTRIBUTES, Link
from shared.db.uow import UnitOfWork


@dataclass(frozen=True)
class Resource:
    name: str
    table: Table
    filterable: Mapping[str, Callable[[str], Any]]
    to_public: Callable[[Row[Any]], BaseModel]
    # A catalogue every project may read (service types), not a project's own resources.
    readable_by_all: bool = False

    @property
    def visible(self) -> frozenset[str]:
        return VISIBLE_ATTRIBUTES[self.name]

    async def visible_row(
        self, uow: UnitOfWork, caller: Caller, row_id: uuid.UUID, *, lock: str | None = None
    ) -> Row[Any]:
        """The row if the caller may see it; another project's is as good as absent (404)."""
        row = await repo.get_row(uow.conn, table=self.table, row_id=row_id, lock=lock)
        if row is None or not (self.readable_by_all or caller.can_see(row.tenant_id)):
            raise not_found(self.name, row_id)
        return row

    async def show(
        self, uow: UnitOfWork, caller: Caller, request: Request, row_id: uuid.UUID
    ) -> dict[str, Any]:
        fields = parse_fields(request, visible=self.visible)
        row = await self.visible_row(uow, caller, row_id)
        return {self.name: select_fields(self.to_public(row).model_dump(mode="json"), fields)}

    async def list_page(
        self, uow: UnitOfWork, caller: Caller, request: Request
    ) -> tuple[list[dict[str, Any]], list[Link]]:
        query = parse_list_query(request, filterable=self.filterable, visible=self.visible)
        rows = await repo.list_rows(
            uow.conn,
            table=self.table,
            tenant_id=None if caller.is_admin or self.readable_by_all else caller.project_id,
            filters=query.filters,
            limit=query.limit,
            marker=query.marker,
        )
        page = [
            select_fields(self.to_public(row).model_dump(mode="json"), query.fields) for row in rows
        ]
        return page, next_links(request, query, page, rows[-1].id if rows else None)
