"""What every resource's queries share: which rows a caller may see, one or a page."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table

from servicevm_api.adapters import repository as repo
from servicevm_api.caller import Caller
from servicevm_api.errors import not_found
from shared.db.uow import UnitOfWork


@dataclass(frozen=True)
class ListQuery:
    """A list request, parsed: filters (attribute -> accepted values) and a page."""

    filters: dict[str, list[Any]]
    fields: list[str] | None
    limit: int | None
    marker: uuid.UUID | None


@dataclass(frozen=True)
class Collection:
    """One resource's table, as a caller sees it."""

    name: str
    table: Table
    # A catalogue every project may read (service types), not a project's own resources.
    readable_by_all: bool = False

    async def get(
        self, uow: UnitOfWork, caller: Caller, row_id: uuid.UUID, *, lock: str | None = None
    ) -> Row[Any]:
        """The row if the caller may see it; another project's is as good as absent (404)."""
        row = await repo.get_row(uow.conn, table=self.table, row_id=row_id, lock=lock)
        if row is None or not (self.readable_by_all or caller.can_see(row.tenant_id)):
            raise not_found(self.name, row_id)
        return row

    async def list(self, uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
        return await repo.list_rows(
            uow.conn,
            table=self.table,
            tenant_id=self._tenant_filter(caller),
            filters=query.filters,
            limit=query.limit,
            marker=query.marker,
        )

    async def list_json(
        self, uow: UnitOfWork, caller: Caller, query: ListQuery, columns: Sequence[str]
    ) -> repo.JsonPage:
        """The same page, each row a JSON object of ``columns``, built by the database."""
        return await repo.list_json(
            uow.conn,
            table=self.table,
            columns=columns,
            tenant_id=self._tenant_filter(caller),
            filters=query.filters,
            limit=query.limit,
            marker=query.marker,
        )

    def _tenant_filter(self, caller: Caller) -> str | None:
        return None if caller.is_admin or self.readable_by_all else caller.project_id
