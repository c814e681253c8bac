"""A page of devices whose JSON PostgreSQL builds is the JSON the public model renders row by
row, in the same order, with the count and last id the next link needs (real Postgres, the
api's schema, inside a transaction that is rolled back)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import devices
from servicevm_api.bootstrap import DEFINITION as API
from servicevm_api.entrypoints.routes.devices import DEVICE
from shared.config import Settings
from shared.contracts.events import MonitorReport
from shared.contracts.resources import ServiceContext
from shared.runtime import build_store


def _device(n: int, tenant_id: str) -> dict[str, Any]:
    """A row as the api writes it: the JSON columns hold the contracts' models dumped."""
    context = ServiceContext(network_id=uuid.uuid4(), role="mgmt")
    monitor = MonitorReport(
        monitor="ping",
        last_probe_at=datetime(2026, 11, 30, 14, 0, 0, 123456, tzinfo=UTC),
        ok=False,
        consecutive_failures=2,
        healthy=False,
        last_error="timeout",
        latency_seconds=0.25,
    )
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "template_id": uuid.uuid4(),
        "instance_id": f"i-{n}" if n % 2 else None,
        "mgmt_address": "10.0.0.1" if n % 3 else None,
        "kwargs": {"vlan": n, "name": 'fw "quoted" é', "nested": {"list": [1, 2.5, None]}},
        "service_contexts": [context.model_dump(mode="json")] if n else [],
        "services": [str(uuid.uuid4())] if n % 2 else [],
        "status": "ACTIVE" if n % 2 else "ERROR",
        "error_reason": None if n % 2 else "it broke\nbadly",
        "host": "h1",
        "availability_zone": None,
        "vim_id": uuid.uuid4() if n % 2 else None,
        "monitors": [monitor.model_dump(mode="json")] if n % 2 else None,
        "revision": 1,
    }


async def test_the_database_renders_a_page_as_the_public_model(database: Settings) -> None:
    engine = build_store(API, database).engine
    tenant_id = f"json-{uuid.uuid4().hex[:8]}"
    try:
        async with engine.connect() as conn, conn.begin() as transaction:
            await conn.execute(insert(devices), [_device(n, tenant_id) for n in range(7)])
            common: dict[str, Any] = {"table": devices, "tenant_id": tenant_id, "filters": {}}
            marker = None
            for size in (4, 3, 0):
                rows = await repo.list_rows(conn, limit=4, marker=marker, **common)
                page = await repo.list_json(
                    conn, columns=DEVICE.columns, limit=4, marker=marker, **common
                )
                assert json.loads(page.items) == [DEVICE.selected(row, None) for row in rows]
                assert page.count == len(rows) == size
                assert page.last_id == (rows[-1].id if rows else None)
                marker = page.last_id
            # Filters apply as they do to rows.
            common["filters"] = {"status": ["ERROR"]}
            errors = await repo.list_json(
                conn, columns=DEVICE.columns, limit=10, marker=None, **common
            )
            assert {d["status"] for d in json.loads(errors.items)} == {"ERROR"}
            assert errors.count == 4
            await transaction.rollback()
    finally:
        await engine.dispose()
