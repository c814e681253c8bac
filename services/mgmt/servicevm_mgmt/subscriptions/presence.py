"""Which projects have subscriptions, cached so that a notification nobody subscribed to
costs no query (most of them: two per device created).

The cache is trusted only while a LISTEN connection is up (``jobs.listener``): every change
to the subscriptions sends a NOTIFY at its commit, which empties the cache in each mgmt
process. A load that raced with a change is not kept (``_generation``), and without a
listener (starting, or its connection lost) every notification asks the database, as before.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import subscriptions

# Sent (at commit) by every transaction that adds or removes a subscription.
SUBSCRIPTIONS_CHANNEL = "servicevm_mgmt_subscriptions"


class Presence:
    def __init__(self) -> None:
        self._listening = False
        self._generation = 0
        self._tenants: frozenset[str] | None = None
        self._all_projects = False

    @property
    def is_listening(self) -> bool:
        return self._listening

    def listening(self, up: bool) -> None:
        self._listening = up
        self.invalidate()

    def invalidate(self) -> None:
        self._generation += 1
        self._tenants = None

    async def may_have_subscribers(self, conn: AsyncConnection, *, tenant_id: str) -> bool:
        """False only when no subscription can match a notification of this tenant."""
        if not self._listening:
            return True
        if self._tenants is None:
            generation = self._generation
            # Only servicevm's own subscriptions: the SOL003 ones get none of these.
            query = select(
                func.array_agg(subscriptions.c.tenant_id.distinct()),
                func.coalesce(func.bool_or(subscriptions.c.all_projects), False),
            ).where(subscriptions.c.kind == "servicevm")
            tenants, all_projects = (await conn.execute(query)).one()
            if generation != self._generation:
                return True  # changed while loading: not cached
            self._tenants, self._all_projects = frozenset(tenants or ()), bool(all_projects)
        return self._all_projects or tenant_id in self._tenants


# One per process: every handler and the listener of this process share it.
PRESENCE = Presence()
