"""Check the local servers before starting anything, naming the one that is missing."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from urllib.parse import unquote, urlparse

import aio_pika
import asyncpg
import redis.asyncio as aioredis

from shared.config import Settings

START_COMMANDS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "RabbitMQ": "rabbitmq-server -detached",
    "Redis": (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
        "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ),
}


class ServerUnreachable(SystemExit):
    def __init__(self, server: str, address: str, error: BaseException) -> None:
        super().__init__(
            f"{server} is not reachable at {address} ({error.__class__.__name__}: {error}).\n"
            f"Start it with: {START_COMMANDS[server]}"
        )


def ensure_vhost(amqp_url: str) -> None:
    """Create the URL's RabbitMQ vhost if it is not the default one (needs rabbitmqctl)."""
    vhost = unquote(urlparse(amqp_url).path.lstrip("/")) or "/"
    user = urlparse(amqp_url).username or "guest"
    if vhost == "/" or shutil.which("rabbitmqctl") is None:
        return
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_vhosts", "name"], capture_output=True, text=True, check=False
    )
    if vhost in listed.stdout.split():
        return
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], capture_output=True, check=False)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        capture_output=True,
        check=False,
    )


async def check_servers(settings: Settings) -> None:
    try:
        connection = await asyncpg.connect(settings.db_admin_url, timeout=5)
        await connection.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ServerUnreachable("PostgreSQL", settings.db_admin_url, exc) from exc
    try:
        amqp = await aio_pika.connect(settings.amqp_url, timeout=5)
        await amqp.close()
    except Exception as exc:
        raise ServerUnreachable("RabbitMQ", settings.amqp_url, exc) from exc
    client = aioredis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        raise ServerUnreachable("Redis", settings.redis_url, exc) from exc
    finally:
        await client.aclose()


def preflight(settings: Settings) -> None:
    ensure_vhost(settings.amqp_url)
    asyncio.run(check_servers(settings))
