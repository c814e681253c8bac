"""List benchmark: 50,000 devices, read through the REST API in pages of 1,000.

    python -m bench.list_devices [--devices 50000] [--page 1000]

The devices are written straight into the api's query model (its ``devices`` table, in the
benchmark's own database: see ``bench.e2e_devices`` for the variables that move it), then
listed by one project with ``limit`` and the ``next`` link's marker until the last page.
Only the api runs. Prints the total seconds (goal: under 1.5 s for 50,000).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench import cpu
from bench.e2e_devices import BENCH_ENV
from bench.rest import HEADERS
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight

_COLUMNS = ["id", "tenant_id", "template_id", "kwargs", "service_contexts", "status", "revision"]


async def insert_devices(dsn: str, count: int) -> None:
    """COPY the rows in: how they got there is not what is measured."""
    template_id = uuid.uuid4()
    kwargs = json.dumps({"hostname": "bench", "vlan": 10})
    rows = [
        (uuid.uuid4(), HEADERS["X-Project-Id"], template_id, kwargs, "[]", "ACTIVE", 2)
        for _ in range(count)
    ]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "devices", schema_name="api", records=rows, columns=_COLUMNS
        )
        await conn.execute("ANALYZE api.devices")
    finally:
        await conn.close()


def list_all(api_url: str, page: int) -> tuple[int, int, float]:
    """(devices, pages, seconds) following the next links from the first page."""
    seen = pages = 0
    with httpx.Client(base_url=api_url, headers=HEADERS, timeout=60) as client:
        started = time.perf_counter()
        url: str | None = f"/v1.0/devices?limit={page}"
        while url is not None:
            response = client.get(url)
            response.raise_for_status()
            body = response.json()
            seen, pages = seen + len(body["devices"]), pages + 1
            url = next(
                (link["href"] for link in body["devices_links"] if link["rel"] == "next"), None
            )
        return seen, pages, time.perf_counter() - started


# The floor: the same keyset pages read by asyncpg, each page's JSON built by PostgreSQL,
# with no HTTP and no framework (what a list cannot do with less).
_FLOOR_PAGE = """
SELECT coalesce(json_agg(to_json(page) ORDER BY page.id), '[]')::text, count(*),
       (array_agg(page.id ORDER BY page.id DESC))[1]
FROM (SELECT id, tenant_id, template_id, instance_id, mgmt_address, kwargs, service_contexts,
             services, status, error_reason, host, availability_zone, vim_id, monitors
      FROM api.devices WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3) AS page
"""


async def floor_list(dsn: str, page: int) -> tuple[int, float]:
    """(devices, seconds) reading every page as the floor does."""
    conn = await asyncpg.connect(dsn)
    try:
        statement = await conn.prepare(_FLOOR_PAGE)
        started = time.perf_counter()
        seen, marker = 0, uuid.UUID(int=0)
        while True:
            body, count, last = await statement.fetchrow(HEADERS["X-Project-Id"], marker, page)
            seen += len(json.loads(body))
            if count < page:
                return seen, time.perf_counter() - started
            marker = last
    finally:
        await conn.close()


@dataclass
class ListFigures:
    devices: int
    pages: int
    seconds: float
    api_cpu: float
    floor_seconds: float


def measure(devices: int, page: int) -> ListFigures:
    settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    suite = Suite(settings, env=BENCH_ENV, log_dir=Path(tempfile.mkdtemp(prefix="servicevm-list-")))
    try:
        suite.start("api")
        dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
        asyncio.run(insert_devices(dsn, devices))
        list_all(suite.url("api"), page)  # warm-up: connections, caches, plans
        api = {"api": suite.processes["api"].pid}
        before = cpu.snapshot(api)
        seen, pages, seconds = list_all(suite.url("api"), page)
        api_cpu = cpu.spent(before, cpu.snapshot(api))["api"]
        asyncio.run(floor_list(dsn, page))  # warm-up
        _, floor_seconds = asyncio.run(floor_list(dsn, page))
    finally:
        suite.stop()
    return ListFigures(seen, pages, seconds, api_cpu, floor_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    f = measure(args.devices, args.page)
    print(
        f"\nlist {f.devices} devices, {f.pages} pages of {args.page}: {f.seconds:.2f} s"
        f"  ({f.devices / f.seconds:,.0f} devices/s; goal < 1.5 s for 50,000);"
        f" api CPU {f.api_cpu:.2f} s"
    )
    print(
        f"floor (asyncpg, JSON built by PostgreSQL, no HTTP): {f.floor_seconds:.2f} s"
        f"  -> servicevm / floor time: {f.seconds / f.floor_seconds:.1f}x"
    )


if __name__ == "__main__":
    main()
