"""lifecycle's gauges, read from its own records when /metrics is scraped: devices by
status (lifecycle owns them), the oldest pending operation, VIMs by their last check."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import devices, vims
from shared.contracts.statuses import DeviceStatus, VimStatus
from shared.messaging.dispatch import ServiceStore
from shared.observability.metrics import DEVICE_PENDING_OLDEST, DEVICES_BY_STATUS, VIMS_BY_STATUS
from shared.observability.ops import GaugeRefresher

VIM_STATUSES = (VimStatus.PENDING, VimStatus.REACHABLE, VimStatus.UNREACHABLE)


async def _device_counts(conn: AsyncConnection) -> dict[str, tuple[int, float]]:
    """status -> (devices, seconds since the oldest of them last changed)."""
    age = func.extract("epoch", func.now() - func.min(devices.c.updated_at))
    rows = await conn.execute(
        select(devices.c.status, func.count(), age).group_by(devices.c.status)
    )
    return {status: (count, float(oldest or 0)) for status, count, oldest in rows}


async def _vim_counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(vims.c.status, func.count()).group_by(vims.c.status))
    return {status: count for status, count in rows}


def lifecycle_gauges(store: ServiceStore) -> GaugeRefresher:
    async def refresh() -> None:
        async with store.engine.connect() as conn:
            by_status = await _device_counts(conn)
            by_vim_status = await _vim_counts(conn)
        for status in DeviceStatus.ALL:
            DEVICES_BY_STATUS.labels(status).set(by_status.get(status, (0, 0.0))[0])
        for status in DeviceStatus.PENDING:
            DEVICE_PENDING_OLDEST.labels(status).set(by_status.get(status, (0, 0.0))[1])
        for status in VIM_STATUSES:
            VIMS_BY_STATUS.labels(status).set(by_vim_status.get(status, 0))

    return refresh
