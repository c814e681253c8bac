"""Periodic job: nothing a driver built outlives its device.

A crash between a cloud's boot and lifecycle's record of the instance id, a retry that then
failed, a delete that gave up: each can leave a server, a stack or a local appliance tagged
with a servicevm device id that no device owns. Every ``orphan_scan_interval_seconds`` this
job asks each driver what it holds (the local cloud's state dir; each REACHABLE VIM's servers
and stacks) and removes what no live device owns once it is older than
``orphan_grace_seconds``, logged and counted (``servicevm_orphans_removed_total{driver}``).

A device owns an instance when the instance is the one it recorded, or when it records none
yet and is PENDING (a create or respawn in flight: its row is written before the driver is
called, so listing first and reading the devices second never takes its instance for an
orphan). A device in ERROR without an instance id does not own one: its server is removed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import Counter
from sqlalchemy import func, select

from servicevm_lifecycle.adapters.orm import devices, vims
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    OwnedInstance,
    VimCredentials,
)
from servicevm_lifecycle.vims.credentials import credentials
from shared import plugins
from shared.config import Settings
from shared.contracts.models import DeviceStatus
from shared.contracts.statuses import VimStatus
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every
from shared.secrets import SecretError, get_cipher

log = logging.getLogger(__name__)

# The advisory lock key of the sweep (any constant unique within the database).
SWEEP_LOCK = 0x5E57_0F0A

ORPHANS_REMOVED = Counter(
    "servicevm_orphans_removed_total",
    "Servers, stacks and local appliances removed because no device owned them",
    ["driver"],
)


@dataclass(frozen=True)
class Holder:
    """One place a driver keeps instances: the driver, in one VIM (None: no VIM needed)."""

    name: str
    driver: DeviceDriver
    vim: VimCredentials | None


@dataclass
class OrphanReconciler:
    """The job (``bootstrap`` lists it). It remembers when it first saw an instance whose
    age its driver cannot tell, so the grace period holds for those too."""

    first_seen: dict[str, datetime] = field(default_factory=dict)

    async def __call__(self, store: ServiceStore, settings: Settings) -> None:
        if settings.orphan_scan_interval_seconds <= 0:
            log.info("orphan reconciler off (SERVICEVM_ORPHAN_SCAN_INTERVAL_SECONDS is 0)")
            return
        await every(
            settings.orphan_scan_interval_seconds,
            lambda: self.sweep(store, settings),
            job="orphan reconciliation",
        )

    async def sweep(self, store: ServiceStore, settings: Settings) -> int:
        """One pass over every holder, side by side (a VIM that does not answer holds up no
        other); how many orphans were removed. One lifecycle replica sweeps at a time (a
        session advisory lock), so two never race to remove, and count, the same orphan."""
        async with store.engine.connect() as lock:
            if not await lock.scalar(select(func.pg_try_advisory_lock(SWEEP_LOCK))):
                return 0
            await lock.commit()  # the session's lock stays; no transaction left idle
            try:
                found = await asyncio.gather(
                    *(self.sweep_one(store, h, settings) for h in await holders(store))
                )
            finally:
                await lock.scalar(select(func.pg_advisory_unlock(SWEEP_LOCK)))
        return sum(found)

    async def sweep_one(self, store: ServiceStore, holder: Holder, settings: Settings) -> int:
        try:
            held = await holder.driver.owned_instances(holder.vim)
        except DeviceDriverError as exc:
            log.warning("cannot list %s instances: %s", holder.name, exc)
            return 0
        removed = 0
        for orphan in await self.orphans(store, held, settings.orphan_grace_seconds):
            removed += await remove(holder, orphan, settings.driver_timeout_seconds)
        return removed

    async def orphans(
        self, store: ServiceStore, held: list[OwnedInstance], grace_seconds: float
    ) -> list[OwnedInstance]:
        """Those no device owns and older than the grace period (read after the listing)."""
        ids = {_uuid(i.device_id) for i in held} - {None}
        async with store.engine.connect() as conn:
            rows = await conn.execute(
                select(devices.c.id, devices.c.instance_id, devices.c.status).where(
                    devices.c.id.in_(ids)
                )
            )
            owners = {str(row.id): (row.instance_id, row.status) for row in rows}
        now = datetime.now(UTC)
        found = []
        for instance in held:
            if _uuid(instance.device_id) is None or is_owned(instance, owners):
                self.first_seen.pop(instance.instance_id, None)
                continue
            born = instance.created_at or self.first_seen.setdefault(instance.instance_id, now)
            if (now - born).total_seconds() >= grace_seconds:
                found.append(instance)
        return found


def is_owned(instance: OwnedInstance, owners: dict[str, tuple[str | None, str]]) -> bool:
    """owners: device id -> (its recorded instance id, its status), for the devices known."""
    owner = owners.get(instance.device_id)
    if owner is None:
        return False
    recorded, status = owner
    if recorded is None:
        return status in DeviceStatus.PENDING
    return recorded == instance.instance_id


async def remove(holder: Holder, orphan: OwnedInstance, within: float) -> int:
    """Delete one orphan through its driver; 1 when done, 0 when it could not be (retried
    at the next pass)."""
    spec = DeviceSpec(
        device_id=uuid.UUID(orphan.device_id),
        tenant_id="",
        template_attributes={},
        kwargs={},
        service_contexts=[],
        vim=holder.vim,
    )
    where = {"driver": holder.name, "instance_id": orphan.instance_id}
    try:
        await asyncio.wait_for(holder.driver.delete(orphan.instance_id, spec), within)
    except (DeviceDriverError, TimeoutError) as exc:
        log.warning("orphan not removed: %s", exc, extra={**where, "device_id": orphan.device_id})
        return 0
    ORPHANS_REMOVED.labels(holder.name).inc()
    log.warning(
        "removed an orphan instance no device owns",
        extra={**where, "device_id": orphan.device_id, "created_at": str(orphan.created_at)},
    )
    return 1


async def holders(store: ServiceStore) -> list[Holder]:
    """Every driver, once per REACHABLE VIM for those that build in one (VIMs with the same
    credentials are asked once)."""
    reachable = await _reachable_vims(store)
    found = []
    for name in plugins.available(plugins.DEVICE_DRIVERS):
        try:
            driver = get_device_driver(name)
        except (plugins.PluginNotFound, TypeError, ImportError) as exc:
            log.warning("device driver %s not loaded: %s", name, exc)
            continue
        targets: Iterable[VimCredentials | None] = reachable if driver.needs_vim else (None,)
        found += [Holder(name, driver, vim) for vim in targets]
    return found


async def _reachable_vims(store: ServiceStore) -> list[VimCredentials]:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(vims).where(vims.c.status == VimStatus.REACHABLE))).all()
    cipher = get_cipher()
    found: dict[VimCredentials, None] = {}
    for row in rows:
        try:
            found[credentials(row, cipher)] = None
        except SecretError as exc:
            log.warning("VIM %s skipped: %s", row.id, exc)
    return list(found)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
