"""A SOL013 list answered from its items: filter, page, select attributes. Pure.

``list_page`` is what a list route of ``/vnfpkgm`` or ``/vnflcm`` does with the resources
the caller may see, rendered: refuse unknown parameters, keep the items ``filter`` matches,
cut the page after ``nextpage_opaque_marker`` (by id), apply the attribute selector, and
give the ``Link`` header's value when a next page remains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servicevm_api.etsi.fields import SelectorSpec, parse_attribute_selector
from servicevm_api.etsi.paging import MARKER_PARAM, check_query_params, link_header, paginate
from servicevm_api.etsi.selectors import SelectorError, parse_filter


@dataclass(frozen=True)
class ListPage:
    items: list[dict[str, Any]]
    # The ``Link`` header's value; None on the last page.
    link: str | None


def list_page(
    items: Sequence[Mapping[str, Any]],
    params: Sequence[tuple[str, str]],
    *,
    spec: SelectorSpec,
    page_size: int,
    request_url: str,
) -> ListPage:
    """Raises SelectorError (a 400) for an unknown, repeated or malformed parameter."""
    names = [name for name, _ in params]
    check_query_params(names)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SelectorError(f"Query parameter(s) given more than once: {', '.join(repeated)}")
    given: dict[str, str | None] = dict(params)
    selector = parse_attribute_selector(given, spec)
    kept = list(items)
    if given.get("filter") is not None:
        expression = parse_filter(str(given["filter"]), attributes=spec.attributes)
        kept = [item for item in kept if expression.matches(item)]
    page = paginate(
        kept, key=lambda item: str(item["id"]), page_size=page_size, marker=given.get(MARKER_PARAM)
    )
    link = link_header(request_url, page.next_marker) if page.next_marker else None
    return ListPage(items=[selector.apply(item) for item in page.items], link=link)
