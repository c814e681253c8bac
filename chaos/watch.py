"""What the harness watches beside the load: the admin notifications (order per resource),
and the clouds (servers and appliances per device: double boots and orphans)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from chaos.stack import Simulator
from servicevm_lifecycle.drivers.cloud_spec import DEVICE_ID_KEY
from servicevm_lifecycle.drivers.local_process import appliance_processes
from shared.messaging.topology import NOTIFICATIONS

# Durable, so the notifications published while the broker restarts wait for the harness.
WATCH_QUEUE = "chaos.notifications"


@dataclass
class Phase:
    """What the run is doing now (warm-up, a fault, the load after it, the drain): each
    incident is tagged with it, to find its cause."""

    name: str = "warm-up"


@dataclass
class NotificationOrder:
    """Per resource, each notification's revision must not be below the last one seen:
    ``payload.revision`` for status changes, ``payload.capacity_revision`` for capacity."""

    phase: Phase = field(default_factory=Phase)
    received: int = 0
    duplicates: int = 0
    out_of_order: list[str] = field(default_factory=list)
    _last: dict[tuple[str, str], int] = field(default_factory=dict)
    _ids: set[str] = field(default_factory=set)

    def see(self, body: dict[str, Any]) -> None:
        self.received += 1
        if body.get("id") in self._ids:
            self.duplicates += 1  # the same notification twice: a subscriber dedups by id
            return
        self._ids.add(str(body.get("id")))
        payload = body.get("payload") or {}
        for key in ("revision", "capacity_revision"):
            if isinstance(payload.get(key), int):
                self._check((key, str(body.get("resource_id"))), payload[key], body)

    def _check(self, key: tuple[str, str], revision: int, body: dict[str, Any]) -> None:
        last = self._last.get(key)
        if last is not None and revision < last:
            self.out_of_order.append(
                f"{body.get('event_type')} {key[1]}: revision {revision} after {last}"
                f" (during {self.phase.name})"
            )
        self._last[key] = max(revision, last or revision)

    async def consume(self, amqp_url: str) -> None:
        """Until cancelled, connecting again whenever the broker goes away (the durable
        queue keeps what was published meanwhile)."""
        while True:
            with contextlib.suppress(aio_pika.exceptions.AMQPException, OSError):
                await self._consume_until_closed(amqp_url)
            await asyncio.sleep(1.0)

    async def _consume_until_closed(self, amqp_url: str) -> None:
        connection = await aio_pika.connect(amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                NOTIFICATIONS, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(WATCH_QUEUE, durable=True)
            await queue.bind(exchange, "#")
            closed = asyncio.Event()
            connection.close_callbacks.add(lambda *_: closed.set())
            await queue.consume(self._on_message)
            await closed.wait()

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            self.see(json.loads(message.body))


@dataclass
class Census:
    """Servers in the simulator and running appliances of the local cloud, by device id,
    sampled through the run: a device id with two of them at once is a double boot."""

    sim: Simulator | None
    appliance_dir: Path
    phase: Phase = field(default_factory=Phase)
    double_boots: dict[str, str] = field(default_factory=dict)  # device id -> first seen in

    def holdings(self) -> dict[str, list[str]]:
        """device id -> what runs for it ("server <id>", "appliance <pid>")."""
        held: dict[str, list[str]] = defaultdict(list)
        for server in self.sim.servers() if self.sim is not None else []:
            device_id = (server.get("metadata") or {}).get(DEVICE_ID_KEY)  # type: ignore[attr-defined]
            if device_id:
                held[str(device_id)].append(f"server {server['id']}")
        for appliance in running_appliances(self.appliance_dir):
            held[appliance.device_id].append(f"appliance pid {appliance.pid}")
        return held

    def sample(self) -> dict[str, list[str]]:
        held = self.holdings()
        for device_id, things in held.items():
            if len(things) > 1:
                self.double_boots.setdefault(device_id, self.phase.name)
        return held

    async def watch(self, every: float = 2.0) -> None:
        while True:
            with contextlib.suppress(httpx.HTTPError, OSError):  # the next sample will do
                await asyncio.to_thread(self.sample)
            await asyncio.sleep(every)

    async def orphans(self, lifecycle_url: str) -> list[str]:
        """What runs for a device lifecycle no longer has (or never recorded)."""
        held = await asyncio.to_thread(self.sample)
        connection = await asyncpg.connect(lifecycle_url)
        try:
            rows = await connection.fetch("SELECT id::text AS id FROM lifecycle.devices")
        finally:
            await connection.close()
        live = {row["id"] for row in rows}
        return [
            f"{thing} (device {d})"
            for d, things in held.items()
            if d not in live
            for thing in things
        ]


@dataclass(frozen=True)
class Appliance:
    pid: int
    device_id: str


def running_appliances(state_dir: Path) -> list[Appliance]:
    """Every appliance process writing its log into ``state_dir``, whether or not a state
    file names it: a worker killed between the launch and the state file leaves one that
    only /proc knows of."""
    found = []
    for process in appliance_processes(state_dir):
        argv = process.argv
        device_id = argv[argv.index("--device-id") + 1] if "--device-id" in argv else "?"
        found.append(Appliance(process.pid, device_id))
    return found


def kill_appliances(state_dir: Path) -> None:
    for appliance in running_appliances(state_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(appliance.pid, signal.SIGKILL)
