"""Background job: the ``driver`` monitor, probed here because only lifecycle holds the
device drivers (mgmt's Celery workers probe ``ping``, ``http`` and ``mgmt``).

Every tick it reads the ACTIVE and DEAD devices that have a monitoring policy, keeps those
whose policy has a ``driver`` monitor, asks the driver's ``status()`` of those due
(concurrently, each within the monitor's timeout), counts consecutive failures (anything but
``ACTIVE``) against the threshold, and on a change of health publishes the same
DeviceHealthChanged mgmt would, through lifecycle's outbox, to its own health handler (DEAD,
respawn, ACTIVE again).

Counters live in this process: a restart starts them again (at most ``threshold`` probes
late); with several lifecycle replicas each probes, and the handler ignores the duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_, select

from servicevm_lifecycle.adapters.orm import device_template_attributes, devices
from servicevm_lifecycle.adapters.template_cache import TEMPLATES
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import DeviceSpec
from servicevm_lifecycle.vims.credentials import NoVim, load_credentials
from shared.config import Settings
from shared.contracts import events
from shared.contracts.models import DeviceStatus, DeviceTemplateSnapshot
from shared.contracts.monitoring import ATTRIBUTE, Monitor, MonitoringPolicy
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every
from shared.secrets import get_cipher

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5
# The drivers' words for an instance that runs: Nova's and the local driver's ACTIVE, a Heat
# stack whose last action completed (anything else, a *_FAILED or a server in ERROR or
# SHUTOFF, DELETED or DELETE_COMPLETE for one gone, counts as a failure).
RUNNING = frozenset(
    {"ACTIVE", "CREATE_COMPLETE", "UPDATE_COMPLETE", "RESUME_COMPLETE", "CHECK_COMPLETE"}
)


@dataclass
class _Tracked:
    instance_id: str
    next_at: float = 0.0
    failures: int = 0
    healthy: bool = True
    # What the driver needs to find the instance (a cloud driver: its VIM), read once.
    spec: DeviceSpec | None = None


_TEMPLATE_HAS_POLICY = exists().where(
    device_template_attributes.c.template_id == devices.c.template_id,
    device_template_attributes.c.key == ATTRIBUTE,
)


class DriverMonitors:
    def __init__(self) -> None:
        self._tracked: dict[uuid.UUID, _Tracked] = {}

    async def __call__(self, store: ServiceStore, settings: Settings) -> None:
        await every(TICK_SECONDS, lambda: self.tick(store), job="driver monitors")

    async def tick(self, store: ServiceStore) -> None:
        due = await self._due(store)
        for row, template, _ in due:
            if self._tracked[row.id].spec is None:
                self._tracked[row.id].spec = await _spec(store, row, template)
        results = await asyncio.gather(
            *(_probe(t, row.instance_id, self._tracked[row.id].spec, m) for row, t, m in due)
        )
        changes = []
        for (row, _, monitor), error in zip(due, results, strict=True):
            tracked = self._tracked[row.id]
            tracked.failures = 0 if error is None else tracked.failures + 1
            healthy = tracked.failures < monitor.threshold
            if healthy != tracked.healthy:
                tracked.healthy = healthy
                changes.append(
                    events.DeviceHealthChanged(
                        device_id=row.id,
                        tenant_id=row.tenant_id,
                        healthy=healthy,
                        monitor=None if healthy else "driver",
                        last_error=error,
                    )
                )
        if changes:
            async with store.unit_of_work(f"req-health-{uuid.uuid4()}") as uow:
                for change in changes:
                    await uow.publish(change, tenant_id=change.tenant_id)
                await uow.commit()

    async def _due(self, store: ServiceStore) -> list[tuple[Any, DeviceTemplateSnapshot, Monitor]]:
        query = select(
            devices.c.id,
            devices.c.tenant_id,
            devices.c.template_id,
            devices.c.instance_id,
            devices.c.kwargs,
            devices.c.vim_id,
        ).where(
            devices.c.status.in_([DeviceStatus.ACTIVE, DeviceStatus.DEAD]),
            devices.c.instance_id.is_not(None),
            # Only devices with a monitoring policy at all (most have none): the tick runs
            # twice a second in every replica and must not read the whole fleet each time.
            or_(devices.c.kwargs.has_key(ATTRIBUTE), _TEMPLATE_HAS_POLICY),
        )
        async with store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            ids = {row.template_id for row in rows}
            # A template is not deleted while a device uses it: the cached copy stands.
            templates = {t: await TEMPLATES.get(conn, template_id=t) for t in ids}
        now, due, seen = time.monotonic(), [], set()
        for row in rows:
            template = templates.get(row.template_id)
            policy = template and MonitoringPolicy.of(template.attributes, row.kwargs)
            monitor = policy.monitor("driver") if isinstance(policy, MonitoringPolicy) else None
            if template is None or monitor is None:
                continue
            seen.add(row.id)
            tracked = self._tracked.get(row.id)
            if tracked is None or tracked.instance_id != row.instance_id:  # new or respawned
                tracked = self._tracked[row.id] = _Tracked(row.instance_id, now + monitor.interval)
            if now >= tracked.next_at:
                tracked.next_at = now + monitor.interval
                due.append((row, template, monitor))
        for gone in set(self._tracked) - seen:
            del self._tracked[gone]
        return due


async def _spec(store: ServiceStore, row: Any, template: DeviceTemplateSnapshot) -> DeviceSpec:
    """The device's spec, with its VIM's credentials when it has one (decrypted here, kept
    in this process like the drivers' own sessions); a VIM that cannot be read leaves the
    spec without one, and the probe then fails saying so."""
    vim = None
    if row.vim_id is not None:
        try:
            async with store.engine.connect() as conn:
                vim = await load_credentials(
                    conn, vim_id=row.vim_id, tenant_id=row.tenant_id, cipher=get_cipher()
                )
        except NoVim as exc:
            log.warning("driver monitor without a VIM", extra={"reason": str(exc)})
    return DeviceSpec(
        device_id=row.id,
        tenant_id=row.tenant_id,
        template_attributes=template.attributes,
        kwargs=row.kwargs,
        service_contexts=[],
        vim=vim,
    )


async def _probe(
    template: DeviceTemplateSnapshot, instance_id: str, spec: DeviceSpec | None, monitor: Monitor
) -> str | None:
    """Why the driver says the instance is not running, or None when it runs."""
    try:
        driver = get_device_driver(template.device_driver)
        ask = driver.status(instance_id) if spec is None else driver.status_of(instance_id, spec)
        status = await asyncio.wait_for(ask, monitor.timeout)
    except TimeoutError:
        return f"driver status: no answer within {monitor.timeout:g}s"
    except Exception as exc:  # a driver failing never takes the job down
        return f"driver status failed: {str(exc) or type(exc).__name__}"
    return None if status in RUNNING else f"driver status {status}"
