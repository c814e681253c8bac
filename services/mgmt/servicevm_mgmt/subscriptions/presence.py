"""Which projects have subscriptions of each kind, cached so that a notification nobody
subscribed to costs no query (most of them: two per device created; every SOL003 one of a
project without SOL003 subscriptions).

The cache is trusted only while a LISTEN connection is up (``jobs.listener``): every change
to the subscriptions sends a NOTIFY at its commit, which empties the cache in each mgmt
process. A load that raced with a change is not kept (``_generation``), and without a
listener (starting, or its connection lost) every notification asks the database, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import subscriptions

# Sent (at commit) by every transaction that adds or removes a subscription.
SUBSCRIPTIONS_CHANNEL = "servicevm_mgmt_subscriptions"


@dataclass(frozen=True)
class _Kind:
    """The projects with subscriptions of one kind; all of them with an all_projects one."""

    tenants: frozenset[str]
    all_projects: bool


# The projects with subscriptions, by kind ("servicevm", "vnflcm"): built once.
_QUERY = select(
    subscriptions.c.kind,
    func.array_agg(subscriptions.c.tenant_id.distinct()),
    func.coalesce(func.bool_or(subscriptions.c.all_projects), False),
).group_by(subscriptions.c.kind)


class Presence:
    def __init__(self) -> None:
        self._listening = False
        self._generation = 0
        self._kinds: dict[str, _Kind] | None = None

    @property
    def is_listening(self) -> bool:
        return self._listening

    def listening(self, up: bool) -> None:
        self._listening = up
        self.invalidate()

    def invalidate(self) -> None:
        self._generation += 1
        self._kinds = None

    async def may_have_subscribers(
        self, conn: AsyncConnection, *, tenant_id: str, kind: str = "servicevm"
    ) -> bool:
        """False only when no subscription of ``kind`` can match a notification of this
        tenant (SOL003 ones, "vnflcm", match their own project's only)."""
        kinds = await self._load(conn)
        if kinds is None:
            return True
        found = kinds.get(kind)
        return found is not None and (found.all_projects or tenant_id in found.tenants)

    async def may_exist(self, conn: AsyncConnection, *, kind: str) -> bool:
        """False only when there is no subscription of ``kind`` at all."""
        kinds = await self._load(conn)
        return kinds is None or kind in kinds

    async def _load(self, conn: AsyncConnection) -> dict[str, _Kind] | None:
        """The cache, loaded if need be; None when it cannot be trusted."""
        if not self._listening:
            return None
        if self._kinds is None:
            generation = self._generation
            rows = (await conn.execute(_QUERY)).all()
            if generation != self._generation:
                return None  # changed while loading: not cached
            self._kinds = {row[0]: _Kind(frozenset(row[1] or ()), bool(row[2])) for row in rows}
        return self._kinds


# One per process: every handler and the listener of this process share it.
PRESENCE = Presence()
