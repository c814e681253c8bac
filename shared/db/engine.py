"""One async engine per service, connected as that service's own role."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.config import ServiceName, Settings


def make_engine(settings: Settings, service: ServiceName) -> AsyncEngine:
    return create_async_engine(
        settings.database_url(service),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No ping per checkout: a dead connection fails its statement, the pool is
        # invalidated, and the work is retried (consumers) or answered 503 (api).
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
