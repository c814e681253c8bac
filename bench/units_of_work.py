"""What one unit of work costs the service's process, beside the bare asyncpg transaction.

    python -m bench.units_of_work [--transactions 3000] [--trials 7]

Every message a service handles runs one or more units of work, so their fixed cost is paid
about 13 times per device. Each row runs the same one-statement transaction
(``SELECT 1``, then COMMIT) sequentially and reports this process's CPU per transaction:

- asyncpg pool: acquire, BEGIN, the statement, COMMIT, release (the floor);
- SQLAlchemy engine: ``engine.connect()``, ``begin()``, the statement on the driver,
  ``commit()``, ``close()`` (how units of work checked out their connection before
  shared/db/pooled.py);
- unit of work, raw statement: ``UnitOfWork`` with the statement on ``uow.driver()``;
- unit of work, Core statement: ``UnitOfWork`` with the statement through SQLAlchemy.

The rows are measured in turns, ``--trials`` times each, and the least CPU of each is
printed with the median: on a shared machine the least is the figure least disturbed by
others. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import text

from bench.e2e_devices import BENCH_ENV
from servicevm_scheduler.bootstrap import DEFINITION
from shared.config import Settings
from shared.db.raw import Driver
from shared.devstack import fresh_environment, isolated_settings
from shared.messaging.dispatch import ServiceStore
from shared.preflight import preflight
from shared.runtime import build_store

Transaction = Callable[[], Awaitable[None]]


def transactions(store: ServiceStore, pool: asyncpg.Pool) -> dict[str, Transaction]:
    engine = store.engine

    async def floor() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1")

    async def sqlalchemy_engine() -> None:
        async with engine.connect() as conn:
            await conn.begin()
            driver = await (await Driver.under(conn)).in_transaction()
            await driver.execute("SELECT 1")
            await conn.commit()

    async def unit_raw() -> None:
        async with store.unit_of_work("bench") as uow:
            await (await uow.driver()).execute("SELECT 1")
            await uow.commit()

    async def unit_core() -> None:
        async with store.unit_of_work("bench") as uow:
            await uow.conn.execute(text("SELECT 1"))
            await uow.commit()

    return {
        "asyncpg pool (floor)": floor,
        "SQLAlchemy engine connect/begin/commit/close": sqlalchemy_engine,
        "unit of work, raw statement": unit_raw,
        "unit of work, Core statement": unit_core,
    }


async def measure(settings: Settings, count: int, trials: int) -> dict[str, list[float]]:
    store = build_store(DEFINITION, settings)
    dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    assert pool is not None
    cpu: dict[str, list[float]] = {}
    try:
        runs = transactions(store, pool)
        for run in runs.values():  # warm up: connections, prepared statements
            for _ in range(200):
                await run()
        for _ in range(trials):
            for name, run in runs.items():
                began = time.process_time()
                for _ in range(count):
                    await run()
                cpu.setdefault(name, []).append((time.process_time() - began) / count)
    finally:
        await pool.close()
        await store.engine.dispose()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--trials", type=int, default=7)
    args = parser.parse_args()
    settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    cpu = asyncio.run(measure(settings, args.transactions, args.trials))
    floor = min(cpu["asyncpg pool (floor)"])
    print(f"\n{'one transaction, SELECT 1':<48}{'least us':>10}{'median us':>11}{'/ floor':>9}")
    for name, figures in cpu.items():
        least = min(figures)
        print(
            f"{name:<48}{least * 1e6:>10.0f}{statistics.median(figures) * 1e6:>11.0f}"
            f"{least / floor:>9.2f}"
        )


if __name__ == "__main__":
    main()
