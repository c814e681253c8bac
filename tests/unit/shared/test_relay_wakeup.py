"""Which way a commit wakes its relay: in memory while the relay runs in this process for
that database and schema, by a NOTIFY on the commit's connection otherwise."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db.relay_wakeup import relay_here, wake_relay


class _Connection:
    """Records the statements sent; fails them all when ``broken``."""

    def __init__(self, *, broken: bool = False) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []
        self._broken = broken

    async def execute(self, query: str, *args: Any) -> str:
        if self._broken:
            raise asyncpg.InterfaceError("connection is closed")
        self.sent.append((query, args))
        return "SELECT 1"


def _wake(engine: Any, schema: str, conn: _Connection) -> None:
    asyncio.run(wake_relay(engine, schema, conn))


def test_a_commit_beside_the_relay_wakes_it_without_a_statement() -> None:
    engine = create_async_engine("postgresql+asyncpg://u@db.example:5432/servicevm")
    woken: list[str] = []
    conn = _Connection()
    with relay_here(engine, "api", lambda: woken.append("api")):
        _wake(engine, "api", conn)
    assert woken == ["api"]
    assert conn.sent == []


def test_a_commit_to_another_schema_or_database_notifies_that_relay_channel() -> None:
    engine = create_async_engine("postgresql+asyncpg://u@db.example:5432/servicevm")
    elsewhere = create_async_engine("postgresql+asyncpg://u@db.example:5432/other")
    woken: list[str] = []
    conn = _Connection()
    with relay_here(engine, "api", lambda: woken.append("api")):
        _wake(engine, "mgmt", conn)
        _wake(elsewhere, "api", conn)
    assert woken == []
    assert [args for _, args in conn.sent] == [
        ("servicevm_outbox_mgmt",),
        ("servicevm_outbox_api",),
    ]


def test_once_the_relay_stops_here_commits_notify_again() -> None:
    engine = create_async_engine("postgresql+asyncpg://u@db.example:5432/servicevm")
    with relay_here(engine, "api", lambda: None):
        pass
    conn = _Connection()
    _wake(engine, "api", conn)
    assert [args for _, args in conn.sent] == [("servicevm_outbox_api",)]


def test_a_notify_that_fails_after_the_commit_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The commit stands; the relay's poll finds the rows."""
    engine = create_async_engine("postgresql+asyncpg://u@db.example:5432/servicevm")
    with caplog.at_level(logging.WARNING, logger="shared.db.relay_wakeup"):
        _wake(engine, "api", _Connection(broken=True))
    assert [r.message for r in caplog.records] == [
        "could not wake the outbox relay; it polls for the rows"
    ]
