"""A RabbitMQ user made with rabbitmqctl for one test, confined as the README tells operators
to confine a project's AMQP subscriber."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

from shared.messaging.topology import NOTIFICATION_STREAM, PROJECT_NOTIFICATIONS
from tests.support.secrets import remember


@dataclass(frozen=True)
class BrokerUser:
    name: str
    password: str
    vhost: str
    # Prefix of the queue names it may create and consume from.
    queue_prefix: str

    def url(self, amqp_url: str) -> str:
        parts = urlsplit(amqp_url)
        host = f"{parts.hostname}:{parts.port or 5672}"
        netloc = f"{quote(self.name, safe='')}:{quote(self.password, safe='')}@{host}"
        return urlunsplit(parts._replace(netloc=netloc))


def _rabbitmqctl(*args: str) -> None:
    result = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {args[0]} failed: {result.stderr.strip()}")


@contextmanager
def _broker_user(amqp_url: str, queue_prefix: str) -> Iterator[BrokerUser]:
    """A new user with no permissions yet, deleted afterwards. Skips the test if rabbitmqctl
    is not usable here."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed on this machine: cannot create a broker user")
    user = BrokerUser(
        name=f"servicevm-test-{uuid.uuid4().hex[:8]}",
        password=remember(secrets.token_hex(16)),
        vhost=unquote(urlsplit(amqp_url).path.lstrip("/")) or "/",
        queue_prefix=queue_prefix,
    )
    try:
        _rabbitmqctl("add_user", user.name, user.password)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"rabbitmqctl cannot manage users here: {exc}")
    try:
        yield user
    finally:
        _rabbitmqctl("delete_user", user.name)


@contextmanager
def project_subscriber(amqp_url: str, project: str) -> Iterator[BrokerUser]:
    """A user that may read the per-project exchange for ``project``'s keys only, into its
    own queues; deleted afterwards. Skips the test if rabbitmqctl is not usable here."""
    with _broker_user(amqp_url, f"subscriber-{uuid.uuid4().hex[:8]}.") as user:
        own = f"^{re.escape(user.queue_prefix)}"
        key = f"^{re.escape(project)}\\."
        # configure, write, read: its own queues; read the per-project exchange (to bind).
        read = f"({own}|^{re.escape(PROJECT_NOTIFICATIONS)}$)"
        _rabbitmqctl("set_permissions", "-p", user.vhost, user.name, own, own, read)
        _rabbitmqctl(
            "set_topic_permissions", "-p", user.vhost, user.name, PROJECT_NOTIFICATIONS, key, key
        )
        yield user


@contextmanager
def stream_reader(amqp_url: str) -> Iterator[BrokerUser]:
    """A user that may only read (consume from) the notification stream, as the README tells
    operators to make an NFVO's replaying user; deleted afterwards."""
    with _broker_user(amqp_url, "") as user:
        # configure and write nothing; read the stream only.
        stream = f"^{re.escape(NOTIFICATION_STREAM)}$"
        _rabbitmqctl("set_permissions", "-p", user.vhost, user.name, "^$", "^$", stream)
        yield user
