"""List benchmark: 50,000 devices, read through the REST API in pages of 1,000.

    python -m bench.list_devices [--devices 50000] [--page 1000] [--profile DIR]

The devices are written straight into the api's query model (its ``devices`` table, in the
benchmark's own database: see ``bench.e2e_devices`` for the variables that move it), then
listed by one project with ``limit`` and the ``next`` link's marker until the last page.
Only the api runs. Prints the total seconds (goal: under 1.5 s for 50,000) and the api's
CPU seconds, beside a floor measured in the same run: the api's own page statement
(``adapters.json_pages``) over asyncpg, page after page, with no HTTP and no framework.
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
from sqlalchemy.ext.asyncio import create_async_engine

from bench.cpu import cpu_seconds
from bench.e2e_devices import BENCH_ENV
from bench.profiling import Profiler, print_top
from bench.rest import HEADERS
from servicevm_api.adapters.json_pages import json_page
from servicevm_api.adapters.orm import devices
from servicevm_api.schemas.devices import DevicePublic
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


async def floor(dsn: str, page: int) -> tuple[int, int, float]:
    """(devices, pages, seconds): the same pages as the api's SQL, straight over asyncpg."""
    dialect = create_async_engine("postgresql+asyncpg://").dialect
    conn = await asyncpg.connect(dsn)
    try:
        seen = pages = 0
        marker: uuid.UUID | None = None
        started = time.perf_counter()
        while True:
            got = await json_page(
                conn,
                dialect,
                table=devices,
                public=DevicePublic,
                tenant_id=HEADERS["X-Project-Id"],
                filters={},
                limit=page,
                marker=marker,
            )
            seen, pages, marker = seen + got.count, pages + 1, got.last_id
            if got.count < page:
                return seen, pages, time.perf_counter() - started
    finally:
        await conn.close()


@dataclass(frozen=True)
class ListFigures:
    devices: int
    pages: int
    seconds: float
    api_cpu: float
    client_cpu: float
    floor_seconds: float


def measure(devices: int, page: int, profile: Path | None = None) -> ListFigures:
    """List ``devices`` devices through the api in pages, and the same pages' SQL floor."""
    settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    suite = Suite(settings, env=BENCH_ENV, log_dir=Path(tempfile.mkdtemp(prefix="servicevm-list-")))
    profiler = None
    try:
        suite.start("api")
        dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
        asyncio.run(insert_devices(dsn, devices))
        list_all(suite.url("api"), page)  # warm-up: connections, caches, plans
        asyncio.run(floor(dsn, page))
        _, _, floor_seconds = asyncio.run(floor(dsn, page))
        pid = suite.processes["api"].pid
        profiler = Profiler(profile, {"api": pid}) if profile else None
        cpu_before = cpu_seconds(pid)
        client_before = time.process_time()
        seen, pages, seconds = list_all(suite.url("api"), page)
        api_cpu = cpu_seconds(pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        if profiler is not None:
            profiler.stop()
        suite.stop()
    if profiler is not None:
        print_top(profiler.files, limit=15)
    return ListFigures(seen, pages, seconds, api_cpu, client_cpu, floor_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="py-spy profile of the api into this dir")
    args = parser.parse_args()
    f = measure(args.devices, args.page, args.profile)
    print(
        f"\nlist {f.devices} devices, {f.pages} pages of {args.page}: {f.seconds:.2f} s"
        f"  ({f.devices / f.seconds:,.0f} devices/s; goal < 1.5 s for 50,000)"
    )
    print(f"CPU: api {f.api_cpu:.2f} s, this client (HTTP + JSON parsing) {f.client_cpu:.2f} s")
    print(f"floor (the same SQL over asyncpg, no HTTP): {f.floor_seconds:.2f} s")
    print(f"floor / REST time ratio: {f.floor_seconds / f.seconds:.2f}")


if __name__ == "__main__":
    main()
