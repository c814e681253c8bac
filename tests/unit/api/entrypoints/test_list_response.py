"""A list rendered in one pass is the JSON the per-row rendering gives, next link included."""

from __future__ import annotations

import json
import types
import uuid
from typing import Any, cast

from sqlalchemy import Row
from starlette.requests import Request

from servicevm_api.entrypoints.routes.devices import DEVICE
from tests.unit.api.entrypoints.builders import list_request


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


def test_a_full_page_renders_as_the_per_row_path_with_a_next_link() -> None:
    request, rows = list_request("limit=2"), _rows(2)
    response = DEVICE.list_response(request, DEVICE.list_query(request), rows, key="devices")
    body = json.loads(bytes(response.body))
    assert body == _expected(request, rows)
    assert [link["rel"] for link in body["devices_links"]] == ["next"]


def test_fields_and_short_pages() -> None:
    for query_string in ("fields=id&fields=status", "limit=5", ""):
        request, rows = list_request(query_string), _rows(3)
        response = DEVICE.list_response(request, DEVICE.list_query(request), rows, key="devices")
        body = json.loads(bytes(response.body))
        assert body == _expected(request, rows)
        assert body["devices_links"] == []
