"""A list around a page of JSON the database built is the JSON the per-row rendering gives,
next link included (that the database builds each row's JSON as the public model renders it
is tested against Postgres in tests/integration/test_device_list_json.py)."""

from __future__ import annotations

import json
import types
import uuid
from typing import Any, cast

from sqlalchemy import Row
from starlette.requests import Request

from servicevm_api.adapters.repository import JsonPage
from servicevm_api.entrypoints.routes.devices import DEVICE


def _request(query: str) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("api", 9890),
        "path": "/v1.0/devices",
        "query_string": query.encode(),
        "headers": [(b"host", b"api:9890")],
    }
    return Request(scope)


def _rows(count: int) -> list[Row[Any]]:
    rows = [
        types.SimpleNamespace(
            id=uuid.uuid4(),
            tenant_id="p",
            template_id=uuid.uuid4(),
            instance_id=f"i-{n}",
            mgmt_address=None,
            kwargs={"vlan": n, "name": "fw"},
            service_contexts=[],
            services=[uuid.uuid4()],
            status="ACTIVE",
            error_reason=None,
            host="h1",
            availability_zone=None,
            vim_id=None,
        )
        for n in range(count)
    ]
    return cast(list[Row[Any]], rows)


def _expected(request: Request, rows: list[Row[Any]]) -> dict[str, Any]:
    query = DEVICE.list_query(request)
    page, links = DEVICE.page(request, query, rows)
    expected: dict[str, Any] = json.loads(
        json.dumps({"devices": page, "devices_links": [link.model_dump() for link in links]})
    )
    return expected


def _page(rows: list[Row[Any]]) -> JsonPage:
    """What the database returns for these rows (their public JSON, as stored)."""
    items = [DEVICE.selected(row, None) for row in rows]
    return JsonPage(json.dumps(items), len(rows), rows[-1].id if rows else None)


def test_a_full_page_renders_as_the_per_row_path_with_a_next_link() -> None:
    request, rows = _request("limit=2"), _rows(2)
    response = DEVICE.list_response(request, DEVICE.list_query(request), _page(rows), key="devices")
    body = json.loads(bytes(response.body))
    assert body == _expected(request, rows)
    assert [link["rel"] for link in body["devices_links"]] == ["next"]


def test_fields_and_short_pages() -> None:
    for query_string in ("fields=id&fields=status", "limit=5", ""):
        request, rows = _request(query_string), _rows(3)
        query = DEVICE.list_query(request)
        if query.fields is None:
            response = DEVICE.list_response(request, query, _page(rows), key="devices")
        else:
            response = DEVICE.selected_response(request, query, rows, key="devices")
        body = json.loads(bytes(response.body))
        assert body == _expected(request, rows)
        assert body["devices_links"] == []
