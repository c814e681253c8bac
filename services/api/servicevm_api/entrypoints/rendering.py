"""What every resource's routes share: parsing ``fields=`` and list queries, and rendering
rows as the resource's public model (``model_validate(row, from_attributes=True)``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Row

from servicevm_api.adapters.repository import JsonPage
from servicevm_api.entrypoints.listing import (
    next_links,
    parse_fields,
    parse_list_query,
    select_fields,
)
from servicevm_api.schemas.common import Link
from servicevm_api.service_layer.access import ListQuery

Public = TypeVar("Public", bound=BaseModel)


@dataclass(frozen=True)
class Rendering(Generic[Public]):
    name: str
    public: type[Public]
    filterable: Mapping[str, Callable[[str], Any]]

    @property
    def visible(self) -> frozenset[str]:
        return frozenset(self.public.model_fields)

    def one(self, row: Row[Any]) -> Public:
        return self.public.model_validate(row, from_attributes=True)

    def fields(self, request: Request) -> list[str] | None:
        return parse_fields(request, visible=self.visible)

    def selected(self, row: Row[Any], fields: list[str] | None) -> dict[str, Any]:
        """The row's public attributes, only those in ``fields`` when it names some: the
        show and list models (``schemas.common.selection_of``) validate it, and routes
        answer with ``response_model_exclude_unset`` so the others stay absent."""
        return select_fields(self.one(row).model_dump(mode="json"), fields)

    def show(self, row: Row[Any], fields: list[str] | None) -> dict[str, Any]:
        return {self.name: self.selected(row, fields)}

    def list_query(self, request: Request) -> ListQuery:
        return parse_list_query(request, filterable=self.filterable, visible=self.visible)

    def page(
        self, request: Request, query: ListQuery, rows: Sequence[Row[Any]]
    ) -> tuple[list[dict[str, Any]], list[Link]]:
        page = [self.selected(row, query.fields) for row in rows]
        return page, next_links(request, query, page, rows[-1].id if rows else None)

    @property
    def columns(self) -> list[str]:
        """The public attributes, in the model's order: the columns a JSON page selects."""
        return list(self.public.model_fields)

    def selected_response(
        self, request: Request, query: ListQuery, rows: Sequence[Row[Any]], *, key: str
    ) -> Response:
        """A list with a ``fields=`` selection: each row through the public model."""
        page, links = self.page(request, query, rows)
        return JSONResponse({key: page, f"{key}_links": [link.model_dump() for link in links]})

    def list_response(
        self, request: Request, query: ListQuery, page: JsonPage, *, key: str
    ) -> Response:
        """The list's JSON, ``{key: [...], key_links: [...]}``, around the page PostgreSQL
        rendered (its columns are the public model's attributes, whose JSON they hold as
        stored): no Python object per row, no validation against the route's model."""
        links = next_links(request, query, range(page.count), page.last_id)
        body = b"".join(
            (
                b'{"',
                key.encode(),
                b'":',
                page.items.encode(),
                b',"',
                key.encode(),
                b'_links":',
                _LINKS.dump_json(links),
                b"}",
            )
        )
        return Response(body, media_type="application/json")


_LINKS = TypeAdapter(list[Link])
