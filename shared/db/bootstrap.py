"""Create the database, the per-service roles and schemas, then migrate every schema.

Run as the superuser named by SERVICEVM_DB_ADMIN_URL. Each role owns only its schema and
may connect to the database; it has no privilege on the other services' schemas, so no
service can read another's tables (DESIGN rule 1).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from shared.config import SERVICES, ServiceName, Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _admin_connect(dsn: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(
            f"PostgreSQL is not reachable at {dsn} ({exc}).\n"
            "Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from exc


async def create_database_and_roles(settings: Settings) -> None:
    admin = await _admin_connect(settings.db_admin_url)
    try:
        for service in SERVICES:
            role = settings.role(service)
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await admin.execute(
                f"{verb} ROLE {_ident(role)} LOGIN PASSWORD {_literal(settings.db_role_password)}"
                " NOSUPERUSER NOCREATEDB NOCREATEROLE"
            )
        if not await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", settings.db_name
        ):
            await admin.execute(f"CREATE DATABASE {_ident(settings.db_name)}")
    finally:
        await admin.close()

    db_admin = await _admin_connect(_with_database(settings.db_admin_url, settings.db_name))
    try:
        database = _ident(settings.db_name)
        await db_admin.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
        await db_admin.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for service in SERVICES:
            role = _ident(settings.role(service))
            await db_admin.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}")
            await db_admin.execute(
                f"CREATE SCHEMA IF NOT EXISTS {_ident(service)} AUTHORIZATION {role}"
            )
            await db_admin.execute(f"ALTER SCHEMA {_ident(service)} OWNER TO {role}")
            await db_admin.execute(f"REVOKE ALL ON SCHEMA {_ident(service)} FROM PUBLIC")
            await db_admin.execute(
                f"ALTER ROLE {role} IN DATABASE {database} SET search_path = {_ident(service)}"
            )
    finally:
        await db_admin.close()


def _with_database(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


def alembic_config(service: ServiceName, settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url(service).replace("%", "%%"))
    config.attributes["service"] = service
    return config


def migrate(settings: Settings) -> None:
    for service in SERVICES:
        command.upgrade(alembic_config(service, settings), "head")


def main() -> None:
    settings = get_settings()
    asyncio.run(create_database_and_roles(settings))
    migrate(settings)
    print(f"database {settings.db_name}: roles, schemas and migrations ready", file=sys.stderr)


if __name__ == "__main__":
    main()
