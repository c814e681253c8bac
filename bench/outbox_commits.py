"""What a NOTIFY with every commit costs: concurrent writers committing a row and 3 outbox
rows each, with the relay's wake-up sent from the transaction (the trigger the services had
until ``shared.db.relay_wakeup``) or not sent at all (the relay woken in memory).

    python -m bench.outbox_commits [--transactions 3000] [--writers 16] [--trials 3]

PostgreSQL holds one cluster-wide lock from a notifying transaction's pre-commit through the
flush of its commit record, so such commits cannot share a WAL flush. Each transaction is
an INSERT of one small row (the state change) and the outbox statement every unit of work
sends (``OutboxSql.insert``, bodies of the sizes a placement announces), on a schema of its
own in the benchmark's database. The variants run in turns, ``--trials`` times, and the
median is printed beside each trial. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from bench.e2e_devices import BENCH_ENV
from bench.placement import ANNOUNCED
from shared.db.raw import OutboxSql
from shared.db.tables import outbox_notify_ddl, outbox_table
from shared.devstack import fresh_environment, isolated_settings
from shared.preflight import preflight

SCHEMA = "bench_outbox_commits"
VARIANTS = {
    "bare: the row alone, no outbox": (False, False),
    "with 3 outbox rows, no NOTIFY (relay woken in memory)": (True, False),
    "with 3 outbox rows and a NOTIFY from a trigger": (True, True),
}


async def _fresh_schema(dsn: str, *, notify: bool) -> None:
    metadata = MetaData(schema=SCHEMA)
    outbox = outbox_table(metadata)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await conn.execute(f"CREATE SCHEMA {SCHEMA}")
        await conn.execute(f"CREATE TABLE {SCHEMA}.changes (id bigserial PRIMARY KEY, n int)")
        await conn.execute(str(CreateTable(outbox).compile(dialect=postgresql.dialect())))
        if notify:
            for statement in outbox_notify_ddl(SCHEMA)[0]:
                await conn.execute(statement)
    finally:
        await conn.close()


async def commits_per_second(
    dsn: str, transactions: int, writers: int, *, outbox: bool, notify: bool
) -> float:
    await _fresh_schema(dsn, notify=notify)
    insert_outbox = OutboxSql.of(outbox_table(MetaData(schema=SCHEMA))).insert
    # Not compressible, as JSON bodies are not much.
    bodies = [os.urandom(size // 2).hex().encode() for size in ANNOUNCED]
    n = len(bodies)
    pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
    assert pool is not None
    numbers = iter(range(transactions))

    async def writer() -> None:
        async with pool.acquire() as conn:
            for number in numbers:
                async with conn.transaction():
                    await conn.execute(f"INSERT INTO {SCHEMA}.changes (n) VALUES ($1)", number)
                    if outbox:
                        await conn.execute(
                            insert_outbox,
                            [uuid.uuid4() for _ in bodies],
                            ["events"] * n,
                            ["changed"] * n,
                            ["changed"] * n,
                            ["bench"] * n,
                            bodies,
                        )

    try:
        began = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        return transactions / (time.perf_counter() - began)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.trials):
        for name, (outbox, notify) in VARIANTS.items():
            rates[name].append(
                asyncio.run(
                    commits_per_second(
                        dsn, args.transactions, args.writers, outbox=outbox, notify=notify
                    )
                )
            )
    print(f"\n{args.writers} writers, {args.transactions} transactions per trial, commits/s:")
    for name, trials in rates.items():
        each = ", ".join(f"{rate:,.0f}" for rate in trials)
        print(f"  {name:<56} median {statistics.median(trials):>7,.0f}  ({each})")
    quiet = statistics.median(rates["with 3 outbox rows, no NOTIFY (relay woken in memory)"])
    loud = statistics.median(rates["with 3 outbox rows and a NOTIFY from a trigger"])
    print(f"without the NOTIFY / with it: {quiet / loud:.2f}")


if __name__ == "__main__":
    main()
