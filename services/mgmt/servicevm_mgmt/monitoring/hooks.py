"""What mgmt's message handlers do for monitoring and respawns: register a configured
device's monitors, stop probing a device being deleted (a deleted one is forgotten
altogether by ``repository.forget_device``), remember which service instances
each device hosts, and re-apply them all on a respawned device."""

from __future__ import annotations

import asyncio
import logging
import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicevm_mgmt.drivers import get_mgmt_driver
from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.monitoring import store
from servicevm_mgmt.monitoring.tables import hosted_services
from shared.config import get_settings
from shared.contracts import events
from shared.contracts.models import DeviceStatus
from shared.contracts.monitoring import MonitoringPolicy
from shared.plugins import PluginNotFound

log = logging.getLogger(__name__)


async def device_configured(conn: AsyncConnection, event: events.DeviceSpawned) -> None:
    """Probe the (new, updated or respawned) device afresh, by its policy if it has one."""
    await store.register(
        conn,
        device_id=event.device_id,
        tenant_id=event.tenant_id,
        mgmt_driver=event.mgmt_driver,
        mgmt_address=event.mgmt_address,
        policy=MonitoringPolicy.of(event.template_attributes, event.kwargs),
    )


async def device_status_changed(conn: AsyncConnection, event: events.DeviceStatusChanged) -> None:
    # A device being deleted or replaced is not probed; configuring it registers it again.
    if event.device.status in (DeviceStatus.PENDING_DELETE, DeviceStatus.PENDING_UPDATE):
        await store.forget(conn, device_id=event.device.id)


async def instance_placed(conn: AsyncConnection, event: events.ServiceInstancePlaced) -> None:
    """The instance is hosted by exactly these devices now: one it moved away from (its
    device DEAD, the instance rescheduled) no longer re-applies it when respawned."""
    await conn.execute(
        delete(hosted_services).where(
            hosted_services.c.instance_id == event.instance_id,
            hosted_services.c.device_id.not_in(event.devices),
        )
    )
    if event.devices:  # one statement for all of them
        values = {"mgmt_driver": event.mgmt_driver, "configuration": event.configuration}
        rows = [
            {"instance_id": event.instance_id, "device_id": device_id, **values}
            for device_id in dict.fromkeys(event.devices)  # each once: one upsert per row
        ]
        await conn.execute(_HOSTED, rows)


# Its VALUES come from the rows' keys.
_hosted = pg_insert(hosted_services)
_HOSTED = _hosted.on_conflict_do_update(
    index_elements=[hosted_services.c.instance_id, hosted_services.c.device_id],
    set_={
        "mgmt_driver": _hosted.excluded.mgmt_driver,
        "configuration": _hosted.excluded.configuration,
    },
)


async def instance_releasing(conn: AsyncConnection, instance_id: uuid.UUID) -> None:
    await conn.execute(delete(hosted_services).where(hosted_services.c.instance_id == instance_id))


async def reapply_services(engine: AsyncEngine, event: events.DeviceSpawned) -> str | None:
    """Configure every service instance the device hosted on its new instance; why the
    first one failed, or None."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(hosted_services).where(hosted_services.c.device_id == event.device_id)
            )
        ).all()
    device = ManagedDevice(
        device_id=event.device_id,
        tenant_id=event.tenant_id,
        mgmt_address=event.mgmt_address,
        parameters=event.template_attributes,
        configuration=event.kwargs,
    )
    for row in rows:
        try:
            driver = get_mgmt_driver(row.mgmt_driver or event.mgmt_driver)
            await asyncio.wait_for(
                driver.apply_service(device, str(row.instance_id), row.configuration),
                get_settings().driver_timeout_seconds,
            )
        except (MgmtDriverError, PluginNotFound, TimeoutError) as exc:
            reason = f"service instance {row.instance_id}: {str(exc) or type(exc).__name__}"
            log.warning("re-applying a service failed", extra={"reason": reason})
            return reason
    return None
