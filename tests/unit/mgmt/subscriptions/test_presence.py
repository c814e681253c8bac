"""The presence cache answers without a query only while it is listening, and never keeps
what it loaded while a subscription changed."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.subscriptions.presence import Presence


class _Conn:
    """Answers the presence query with (tenants, all_projects); counts the queries."""

    def __init__(self, presence: Presence, tenants: list[str], all_projects: bool) -> None:
        self.presence, self.answer, self.queries = presence, (tenants, all_projects), 0
        self.change_while_loading = False

    async def execute(self, _query: Any) -> _Conn:
        self.queries += 1
        if self.change_while_loading:
            self.presence.invalidate()
        return self

    def one(self) -> tuple[list[str], bool]:
        return self.answer


def _ask(presence: Presence, conn: _Conn, tenant_id: str) -> bool:
    return asyncio.run(
        presence.may_have_subscribers(cast(AsyncConnection, conn), tenant_id=tenant_id)
    )


def test_not_listening_always_asks() -> None:
    presence = Presence()
    conn = _Conn(presence, [], False)
    assert _ask(presence, conn, "p") and conn.queries == 0


def test_cached_while_listening_until_a_change() -> None:
    presence = Presence()
    presence.listening(True)
    conn = _Conn(presence, ["p"], False)
    assert _ask(presence, conn, "p") and not _ask(presence, conn, "q")
    assert conn.queries == 1
    conn.answer = (["p"], True)  # an all_projects subscription arrives
    presence.invalidate()
    assert _ask(presence, conn, "q") and conn.queries == 2


def test_a_load_racing_a_change_is_not_kept() -> None:
    presence = Presence()
    presence.listening(True)
    conn = _Conn(presence, [], False)
    conn.change_while_loading = True
    assert _ask(presence, conn, "p")
    conn.change_while_loading = False
    assert not _ask(presence, conn, "p") and conn.queries == 2


def test_losing_the_listener_stops_trusting_the_cache() -> None:
    presence = Presence()
    presence.listening(True)
    conn = _Conn(presence, [], False)
    assert not _ask(presence, conn, "p")
    presence.listening(False)
    assert _ask(presence, conn, "p")
