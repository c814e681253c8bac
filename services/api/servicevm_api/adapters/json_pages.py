"""List pages rendered by PostgreSQL: one statement answers a page as the JSON the api sends.

A page of 1,000 devices through SQLAlchemy and pydantic costs a result row, a JSONB decode
per column and a model validation per device, then a dump: tens of milliseconds of Python
per page. Here PostgreSQL builds each item with ``json_build_object`` in the public model's
field order (nested models, such as a device's service contexts, rebuilt in theirs, with
absent attributes as null), and Python only joins the page with its links. The statement
is generated from the public model, so a field added there is added here.
"""

from __future__ import annotations

import functools
import types
import uuid
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

import asyncpg
from pydantic import BaseModel
from sqlalchemy import Dialect, Table


@dataclass(frozen=True)
class JsonPage:
    """A page as a JSON array (UTF-8), how many items it holds, and the last one's id."""

    items: bytes
    count: int
    last_id: uuid.UUID | None


async def json_page(
    driver: asyncpg.Connection,
    dialect: Dialect,
    *,
    table: Table,
    public: type[BaseModel],
    tenant_id: str | None,
    filters: dict[str, list[Any]],
    limit: int | None,
    marker: uuid.UUID | None,
) -> JsonPage:
    """Rows visible to a tenant (None: all), filtered, in id order after the marker (at
    most ``limit``; None, which is LIMIT NULL, for all): the
    same rows as ``repository.list_rows``, on the same ``(tenant_id, id)`` / primary key
    index (keyset paging)."""
    names = tuple(filters)
    sql = _page_sql(dialect, table, public, tenant_id is not None, names, marker is not None)
    args: list[Any] = [limit]
    if tenant_id is not None:
        args.append(tenant_id)
    args.extend(filters[name] for name in names)
    if marker is not None:
        args.append(marker)
    items, count, last_id = await driver.fetchrow(sql, *args)
    return JsonPage(items.encode(), count, last_id)


@functools.cache
def _page_sql(
    dialect: Dialect,
    table: Table,
    public: type[BaseModel],
    by_tenant: bool,
    filters: tuple[str, ...],
    after_marker: bool,
) -> str:
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    where: list[str] = []
    if by_tenant:
        where.append(f"tenant_id = ${len(where) + 2}")
    for column in filters:
        sql_type = table.c[column].type.compile(dialect=dialect)
        where.append(f'"{column}" = ANY(${len(where) + 2}::{sql_type}[])')
    if after_marker:
        where.append(f"id > ${len(where) + 2}")
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    return (
        "SELECT coalesce('[' || string_agg(item, ',' ORDER BY id) || ']', '[]'), count(*), "
        "(array_agg(id ORDER BY id DESC))[1] "
        f"FROM (SELECT id, {_object(public, column=_column)}::text AS item FROM {name} "
        f"{condition}ORDER BY id LIMIT $1) page"
    )


def _object(model: type[BaseModel], *, column: Any) -> str:
    """``json_build_object`` of a model's fields, in their order, each from ``column(name)``."""
    pairs = [
        f"'{field}', {_value(info.annotation, column(field))}"
        for field, info in model.model_fields.items()
    ]
    return f"json_build_object({', '.join(pairs)})"


def _column(field: str) -> str:
    return f'"{field}"'


def _value(annotation: Any, expression: str) -> str:
    """A field's JSON: the column as it is, or a list of models rebuilt element by element
    (their field order, their absent attributes as null), as pydantic would render it."""
    model = _listed_model(annotation)
    if model is None:
        return expression
    element = _object(model, column=lambda name: f"element -> '{name}'")
    rebuilt = (
        f"(SELECT coalesce(json_agg({element} ORDER BY position), '[]'::json) "
        f"FROM jsonb_array_elements({expression}) WITH ORDINALITY AS e(element, position))"
    )
    return f"CASE WHEN jsonb_typeof({expression}) = 'array' THEN {rebuilt} END"


def _listed_model(annotation: Any) -> type[BaseModel] | None:
    """M for ``list[M]`` or ``list[M] | None`` with M a pydantic model, else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        listed = [a for a in get_args(annotation) if a is not type(None)]
        return _listed_model(listed[0]) if len(listed) == 1 else None
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None
