"""How much work one operation costs, counted: the database's transactions (pg_stat_database)
and the messages each service handled (its /metrics), before and after a run.

CPU per device says how expensive the path is; these say where the cost comes from (each
transaction is a BEGIN and a COMMIT round trip, each handler run an inbox check, a
delivery and an acknowledgement), and they do not move with the machine's load.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

import asyncpg
import httpx

_HANDLED = re.compile(r"^servicevm_messages_handled_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
# pg_stat_database is fed by each backend at most once a second (PostgreSQL 15).
STATS_DELAY = 1.2


async def _transactions(admin_dsn: str, db_name: str) -> int:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        value = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
            db_name,
        )
        return int(value or 0)
    finally:
        await connection.close()


def transactions(admin_dsn: str, db_name: str) -> int:
    """Transactions committed or rolled back in the database so far (every connection's)."""
    return asyncio.run(_transactions(admin_dsn, db_name))


def handled(urls: Mapping[str, str]) -> dict[str, int]:
    """Messages handled (any outcome) so far, by service, from each service's /metrics."""
    counts: dict[str, int] = {}
    for (service, _type), count in handled_by_type(urls).items():
        counts[service] = counts.get(service, 0) + count
    return {service: counts.get(service, 0) for service in urls}


def handled_by_type(urls: Mapping[str, str]) -> dict[tuple[str, str], int]:
    """Messages handled (any outcome) so far, by service and message type."""
    counts: dict[tuple[str, str], int] = {}
    for service, url in urls.items():
        text = httpx.get(f"{url}/metrics", timeout=10).text
        for match in map(_HANDLED.match, text.splitlines()):
            if match is None:
                continue
            labels = dict(_LABEL.findall(match["labels"]))
            key = (service, labels.get("message_type", "?"))
            counts[key] = counts.get(key, 0) + int(float(match["value"]))
    return counts


def difference(
    before: Mapping[tuple[str, str], int], after: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """What ``after`` counted beyond ``before`` (zeros left out)."""
    return {key: n - before.get(key, 0) for key, n in after.items() if n != before.get(key, 0)}
