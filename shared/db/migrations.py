"""The body of every service's Alembic env.py: async, version table in the service's schema."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config


def _skip_version_table(name: str | None, type_: str, _parent: object) -> bool:
    # Autogenerate would otherwise offer to drop Alembic's own table from the schema.
    return not (type_ == "table" and name == "alembic_version")


def run_migrations(metadata: MetaData, schema: str) -> None:
    config = context.config

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
            include_name=_skip_version_table,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
            connect_args={"server_settings": {"search_path": schema}},
        )
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            version_table_schema=schema,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_online())
