"""The presence cache answers without a query only while it is listening, and never keeps
what it loaded while a subscription changed."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.subscriptions.presence import Presence


class _Conn:
    """Answers the presence query with the servicevm subscriptions' (tenants, all_projects)
    and those of ``vnflcm``; counts the queries."""

    def __init__(
        self,
        presence: Presence,
        tenants: list[str],
        all_projects: bool,
        vnflcm: tuple[str, ...] = (),
    ) -> None:
        self.presence, self.queries = presence, 0
        self.answer, self.vnflcm = (tenants, all_projects), vnflcm
        self.change_while_loading = False

    async def execute(self, _query: Any) -> _Conn:
        self.queries += 1
        if self.change_while_loading:
            self.presence.invalidate()
        return self

    def all(self) -> list[tuple[str, list[str], bool]]:
        rows = [("servicevm", *self.answer)] if self.answer[0] else []
        return rows + ([("vnflcm", list(self.vnflcm), False)] if self.vnflcm else [])


def _ask(presence: Presence, conn: _Conn, tenant_id: str, kind: str = "servicevm") -> bool:
    return asyncio.run(
        presence.may_have_subscribers(cast(AsyncConnection, conn), tenant_id=tenant_id, kind=kind)
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


def test_each_kind_of_subscription_counts_for_its_own_notifications() -> None:
    presence = Presence()
    presence.listening(True)
    conn = _Conn(presence, ["p"], False, vnflcm=("q",))
    assert _ask(presence, conn, "p") and not _ask(presence, conn, "q")
    assert _ask(presence, conn, "q", "vnflcm") and not _ask(presence, conn, "p", "vnflcm")
    assert conn.queries == 1


def test_whether_any_subscription_of_a_kind_exists() -> None:
    presence = Presence()
    conn = _Conn(presence, ["p"], False)

    def exists(kind: str) -> bool:
        return asyncio.run(presence.may_exist(cast(AsyncConnection, conn), kind=kind))

    assert exists("vnflcm") and conn.queries == 0  # not listening: cannot say
    presence.listening(True)
    assert exists("servicevm") and not exists("vnflcm")
    assert conn.queries == 1
