"""Neutron list queries parsed from a real request: filters, fields, limit, marker, next link."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from servicevm_api.entrypoints.errors import ApiError
from servicevm_api.entrypoints.listing import MAX_LIMIT, next_links, parse_list_query
from tests.unit.api.entrypoints.builders import list_request

FILTERABLE = {"id": uuid.UUID, "status": str}
VISIBLE = frozenset({"id", "status", "name"})


def test_repeated_filters_are_collected() -> None:
    query = parse_list_query(
        list_request("status=ACTIVE&status=ERROR"), filterable=FILTERABLE, visible=VISIBLE
    )
    assert query.filters == {"status": ["ACTIVE", "ERROR"]}
    assert query.fields is None and query.marker is None
    assert query.limit == MAX_LIMIT  # an unpaged list gets one page and a next link


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("colour=red", "Unrecognized filter 'colour'"),
        ("id=nope", "filter id"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
        ("marker=x", "marker"),
        ("fields=secret", "'secret'"),
    ],
)
def test_bad_queries_are_400_naming_the_parameter(query: str, named: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse_list_query(list_request(query), filterable=FILTERABLE, visible=VISIBLE)
    assert refused.value.status_code == 400
    assert named in refused.value.message


def test_next_link_only_after_a_full_page() -> None:
    request = list_request("limit=2&fields=id&fields=status&status=ACTIVE")
    query = parse_list_query(request, filterable=FILTERABLE, visible=VISIBLE)
    assert query.fields == ["id", "status"]
    last = uuid.uuid4()
    assert next_links(request, query, [{"id": "a"}], last) == []
    (link,) = next_links(request, query, [{"id": "a"}, {"id": "b"}], last)
    assert link.rel == "next"
    params = parse_qs(urlparse(link.href).query)
    assert params == {
        "limit": ["2"],
        "fields": ["id", "status"],
        "status": ["ACTIVE"],
        "marker": [str(last)],
    }
