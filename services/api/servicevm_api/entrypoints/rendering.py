"""What every resource's routes share: parsing ``fields=`` and list queries, and rendering
rows as the resource's public model (``model_validate(row, from_attributes=True)``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Row

from servicevm_api.adapters.json_pages import JsonPage
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

    def one(self, row: Row[Any] | Mapping[str, Any]) -> Public:
        return self.public.model_validate(row, from_attributes=True)

    def fields(self, request: Request) -> list[str] | None:
        return parse_fields(request, visible=self.visible)

    def selected(
        self, row: Row[Any] | Mapping[str, Any], fields: list[str] | None
    ) -> dict[str, Any]:
        """The row's public attributes, only those in ``fields`` when it names some: the
        show and list models (``schemas.common.selection_of``) validate it, and routes
        answer with ``response_model_exclude_unset`` so the others stay absent."""
        return select_fields(self.one(row).model_dump(mode="json"), fields)

    def show(self, row: Row[Any] | Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
        return {self.name: self.selected(row, fields)}

    def show_response(self, row: Row[Any] | Mapping[str, Any]) -> Response:
        """``{name: row}`` with every public attribute, rendered by pydantic-core in one
        pass: no dict, no second validation against the route's show model (whose shape
        this is, all attributes set). ``fields=`` selections take ``show``."""
        item = self.public.__pydantic_serializer__.to_json(self.one(row))
        body = b"".join((b'{"', self.name.encode(), b'":', item, b"}"))
        return Response(body, media_type="application/json")

    def list_query(self, request: Request) -> ListQuery:
        return parse_list_query(request, filterable=self.filterable, visible=self.visible)

    def page(
        self, request: Request, query: ListQuery, rows: Sequence[Row[Any]]
    ) -> tuple[list[dict[str, Any]], list[Link]]:
        page = [self.selected(row, query.fields) for row in rows]
        return page, next_links(request, query, page, rows[-1].id if rows else None)

    def list_response(
        self, request: Request, query: ListQuery, rows: Sequence[Row[Any]], *, key: str
    ) -> Response:
        """The list's JSON, ``{key: [...], key_links: [...]}``, rendered by pydantic-core in
        one pass: no dict per row, no second validation against the route's response model
        (whose shape this is). ``fields=`` selections take the general path."""
        if query.fields is not None:
            page, links = self.page(request, query, rows)
            return JSONResponse({key: page, f"{key}_links": [link.model_dump() for link in links]})
        adapter = _list_adapter(self.public)
        items = adapter.dump_json(adapter.validate_python(rows, from_attributes=True))
        last_id = rows[-1].id if rows else None
        return _list_body(key, items, next_links(request, query, rows, last_id))

    def json_list_response(
        self, request: Request, query: ListQuery, page: JsonPage, *, key: str
    ) -> Response:
        """``list_response`` for a page PostgreSQL rendered (``adapters.json_pages``)."""
        links = next_links(request, query, range(page.count), page.last_id)
        return _list_body(key, page.items, links)


def _list_body(key: str, items: bytes, links: list[Link]) -> Response:
    """``{key: items, key_links: links}`` around an already rendered JSON array."""
    name = key.encode()
    body = b"".join(
        (b'{"', name, b'":', items, b',"', name, b'_links":', _LINKS.dump_json(links), b"}")
    )
    return Response(body, media_type="application/json")


_LINKS = TypeAdapter(list[Link])


@functools.cache
def _list_adapter(public: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[public])  # type: ignore[valid-type]
