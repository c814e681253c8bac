"""One SOL003/SOL005 list request: its query parsed, then a page of bodies rendered. Pure.

A list route does::

    try:
        query = parse_list_query(request.query_params, VNF_INSTANCE_SELECTORS)
    except SelectorError as exc:
        raise bad_request(str(exc)) from None
    page = render_list(bodies, query, page_size=..., request_url=str(request.url))
    # answer page.bodies, with ``Link: page.link`` when it is not None

``render_list`` filters, orders by ``id``, pages and applies the attribute selector, in
that order (filters see whole resources; selectors only shape what is sent). A filter on a
value of the wrong type raises SelectorError too (a 400).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servicevm_api.etsi.fields import AttributeSelector, SelectorSpec, parse_attribute_selector
from servicevm_api.etsi.paging import (
    LIST_PARAMS,
    MARKER_PARAM,
    check_query_params,
    decode_marker,
    link_header,
    paginate,
)
from servicevm_api.etsi.selectors import Filter, SelectorError, parse_filter


@dataclass(frozen=True)
class ListQuery:
    filter: Filter | None
    selector: AttributeSelector
    marker: str | None


@dataclass(frozen=True)
class ListPage:
    bodies: list[dict[str, Any]]
    # The Link header value for the next page, or None on the last page.
    link: str | None


def parse_list_query(
    params: Mapping[str, str],
    spec: SelectorSpec,
    *,
    allowed: Collection[str] = LIST_PARAMS,
    attributes: Collection[str] | None = None,
) -> ListQuery:
    """Raises SelectorError naming the first unknown parameter or malformed expression."""
    check_query_params(params.keys(), allowed)
    expression = params.get("filter")
    marker = params.get(MARKER_PARAM)
    if marker is not None:
        decode_marker(marker)  # refuse a marker this api did not make, before any work
    return ListQuery(
        filter=None if expression is None else parse_filter(expression, attributes=attributes),
        selector=parse_attribute_selector(params, spec),
        marker=marker or None,
    )


def render_list(
    bodies: Iterable[Mapping[str, Any]],
    query: ListQuery,
    *,
    page_size: int,
    request_url: str,
) -> ListPage:
    matching = [body for body in bodies if query.filter is None or query.filter.matches(body)]
    page = paginate(
        matching, key=lambda body: str(body["id"]), page_size=page_size, marker=query.marker
    )
    return ListPage(
        bodies=[query.selector.apply(body) for body in page.items],
        link=None if page.next_marker is None else link_header(request_url, page.next_marker),
    )


def list_page(
    items: Sequence[Mapping[str, Any]],
    params: Sequence[tuple[str, str]],
    *,
    spec: SelectorSpec,
    page_size: int,
    request_url: str,
) -> ListPage:
    """The whole list request from the raw (repeatable) query parameters. Raises
    SelectorError (a 400) for an unknown, repeated or malformed parameter."""
    names = [name for name, _ in params]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SelectorError(f"Query parameter(s) given more than once: {', '.join(repeated)}")
    query = parse_list_query(dict(params), spec, attributes=spec.attributes)
    return render_list(items, query, page_size=page_size, request_url=request_url)
