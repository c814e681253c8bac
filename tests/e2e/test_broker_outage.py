"""A RabbitMQ outage loses nothing: writes land in the outboxes, and flow once it is back."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from shared.devstack import Suite
from tests.support.api import Api

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "rabbitmqctl"], capture_output=True).returncode != 0,
    reason="needs rabbitmqctl to stop and start the local broker",
)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@contextmanager
def broker_stopped() -> Iterator[None]:
    """Stop the RabbitMQ application; start it again whatever happens."""
    _rabbitmqctl("stop_app")
    try:
        yield
    finally:
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")


def _ready(suite: Suite) -> bool:
    return all(
        httpx.get(f"{suite.url(s)}/readyz", timeout=5).status_code == 200 for s in suite.processes
    )


def test_devices_created_while_the_broker_is_down_become_active_after(
    suite: Suite, api: Api
) -> None:
    template = api.create_template()
    with broker_stopped():
        # The gateway commits the device and its command to its outbox: no broker needed.
        device = api.create_device(template["id"])
        assert api.device(device["id"])["status"] == "PENDING_CREATE"  # type: ignore[index]
        # Ready all the same: its outbox accepts the writes the outage must not turn away.
        assert httpx.get(f"{suite.url('api')}/readyz").status_code == 200
    api.wait_for_status(device["id"], "ACTIVE", timeout=90)
    deadline = time.monotonic() + 30
    while not _ready(suite) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ready(suite)
    # Everything works as before the outage.
    again = api.create_device(template["id"])
    api.wait_for_status(again["id"], "ACTIVE")
