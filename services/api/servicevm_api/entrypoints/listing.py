"""Neutron-style list queries: ``?status=ACTIVE`` filters, ``fields=`` selection and
``limit`` / ``marker`` pagination with a ``next`` link."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from servicevm_api.errors import bad_request
from servicevm_api.schemas.common import Link
from servicevm_api.service_layer.access import ListQuery

# The largest page, and the page an unpaged list gets (with a ``next`` link to the rest).
# Neutron likewise has no separate default: with ``pagination_max_limit`` set, a request
# without ``limit`` gets that many rows. A larger ``limit`` stays a 400, as it was.
MAX_LIMIT = 1000
PAGING_PARAMS = {"limit", "marker", "fields"}


def boolean(raw: str) -> bool:
    """A boolean filter's value: true or false."""
    if raw.lower() not in ("true", "false"):
        raise ValueError("expected true or false")
    return raw.lower() == "true"


def parse_list_query(
    request: Request, *, filterable: Mapping[str, Callable[[str], Any]], visible: frozenset[str]
) -> ListQuery:
    filters: dict[str, list[Any]] = {}
    for name, raw in request.query_params.multi_items():
        if name in PAGING_PARAMS:
            continue
        convert = filterable.get(name)
        if convert is None:
            known = ", ".join(sorted(filterable))
            raise bad_request(f"Unrecognized filter '{name}'; filters: {known}.")
        filters.setdefault(name, []).append(_convert(name, raw, convert))
    return ListQuery(
        filters=filters,
        fields=parse_fields(request, visible=visible),
        limit=_limit(request.query_params.get("limit")),
        marker=_convert("marker", request.query_params["marker"], uuid.UUID)
        if "marker" in request.query_params
        else None,
    )


def parse_fields(request: Request, *, visible: frozenset[str]) -> list[str] | None:
    fields = [f for value in request.query_params.getlist("fields") for f in value.split(",") if f]
    unknown = [f for f in fields if f not in visible]
    if unknown:
        raise bad_request(
            f"Unrecognized field(s) {', '.join(repr(f) for f in unknown)} in 'fields'."
        )
    return fields or None


def select_fields(item: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return item if fields is None else {name: item[name] for name in fields}


def next_links(
    request: Request, query: ListQuery, page: Sequence[object], last_id: uuid.UUID | None
) -> list[Link]:
    if query.limit is None or len(page) < query.limit or last_id is None:
        return []
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "marker"]
    params.append(("marker", str(last_id)))
    return [Link(rel="next", href=str(request.url.replace(query=urlencode(params))))]


def _limit(raw: str | None) -> int:
    if raw is None:
        return MAX_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request(f"Invalid input for limit: '{raw}' is not an integer.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"Invalid input for limit: must be between 1 and {MAX_LIMIT}.")
    return limit


def _convert(name: str, raw: str, convert: Callable[[str], Any]) -> Any:
    try:
        return convert(raw)
    except ValueError:
        raise bad_request(f"Invalid input for filter {name}: '{raw}'.") from None
