"""One async engine per service, connected as that service's own role."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.config import ServiceName, Settings


def make_engine(settings: Settings, service: ServiceName) -> AsyncEngine:
    return create_async_engine(
        settings.database_url(service),
        # Every connection opened is kept (up to the same cap): an overflow connection
        # would be closed at its checkin, and the next burst (handlers, leases, the relay
        # and the jobs together pass the pool size) pays a new one again (TLS attempt,
        # login, type introspection, every statement prepared anew).
        pool_size=settings.db_pool_size + settings.db_max_overflow,
        max_overflow=0,
        # No ping per checkout: a dead connection fails its statement and is discarded
        # (the whole pool when SQLAlchemy saw the error, that one connection when a raw
        # statement did: shared/db/pooled.py), and the work is retried (consumers) or
        # answered 503 (api).
        pool_pre_ping=False,
        connect_args={
            # Every connection works only in its own schema, whatever the role's defaults say.
            "server_settings": {"search_path": service},
            # Prepared statements kept per connection (SQLAlchemy's default is 100): a
            # service may run more distinct statements than that (list filters, field
            # selections), and a miss costs a round trip to prepare it again.
            "prepared_statement_cache_size": 500,
        },
    )
