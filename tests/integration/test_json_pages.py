"""The api's device pages rendered by PostgreSQL (``adapters.json_pages``) against the same
rows rendered by pydantic (``DevicePublic``, the route's response model): the same JSON,
key for key and in the same order, nested models rebuilt with their absent attributes as
null; one project sees only its own rows; limit and marker page through in id order."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.json_pages import JsonPage, json_page
from servicevm_api.adapters.orm import devices
from servicevm_api.bootstrap import DEFINITION
from servicevm_api.schemas.devices import DevicePublic
from shared.config import Settings
from tests.support.db import add_api_template, in_rolled_back_transaction

TEMPLATE = uuid.uuid4()
PUBLIC = TypeAdapter(list[DevicePublic])


def _device(tenant_id: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "template_id": TEMPLATE,
        "kwargs": {},
        "service_contexts": [],
        "status": "ACTIVE",
        "revision": 1,
    }
    return base | values


DEVICES = [
    _device(
        "owner",
        kwargs={"hostname": 'fw-ü "1"', "nested": {"b": [1, 2.5, None], "a": True}},
        service_contexts=[{"role": "mgmt", "network_id": str(uuid.uuid4())}, {"index": 2}],
        services=[str(uuid.uuid4())],
        host="host-1",
        error_reason="line\nbreak",
    ),
    _device(
        "owner",
        monitors=[
            {
                "monitor": "ping",
                "last_probe_at": "2026-11-30T15:00:00.123456Z",
                "ok": True,
                "consecutive_failures": 0,
                "healthy": True,
                "latency_seconds": 0.0123,
            }
        ],
        vim_id=uuid.uuid4(),
        slot_capacity=4,
    ),
    _device("owner", monitors=[], mgmt_address="127.0.0.1:1", instance_id="i-1"),
    _device("someone-else"),
]


def _json(value: Any) -> str:
    """Keys kept in their order: two renderings are equal only if the order is too."""
    return json.dumps(value, sort_keys=False)


async def _check(conn: AsyncConnection) -> None:
    await add_api_template(conn, TEMPLATE, "owner")
    for device in DEVICES:
        await conn.execute(insert(devices).values(**device))
    driver = (await conn.get_raw_connection()).driver_connection
    mine = {"template_id": [TEMPLATE]}

    async def page(tenant: str | None, limit: int | None, marker: uuid.UUID | None) -> JsonPage:
        return await json_page(
            driver,
            conn.dialect,
            table=devices,
            public=DevicePublic,
            tenant_id=tenant,
            filters=mine,
            limit=limit,
            marker=marker,
        )

    rows = await repo.list_rows(
        conn, table=devices, tenant_id="owner", filters=mine, limit=None, marker=None
    )
    expected = PUBLIC.dump_python(PUBLIC.validate_python(rows, from_attributes=True), mode="json")
    whole = await page("owner", None, None)
    assert _json(json.loads(whole.items)) == _json(expected)
    assert (whole.count, whole.last_id) == (3, rows[-1].id)

    first = await page("owner", 2, None)
    rest = await page("owner", 2, first.last_id)
    assert [d["id"] for d in json.loads(first.items) + json.loads(rest.items)] == [
        str(row.id) for row in rows
    ]
    assert (first.count, rest.count, rest.last_id) == (2, 1, rows[-1].id)

    everyone = await page(None, None, None)
    assert {d["tenant_id"] for d in json.loads(everyone.items)} == {"owner", "someone-else"}
    empty = await page("owner", 10, rows[-1].id)
    assert (empty.items, empty.count, empty.last_id) == (b"[]", 0, None)


def test_json_pages_render_what_pydantic_renders(database: Settings) -> None:
    in_rolled_back_transaction(DEFINITION, database, _check)
