"""Reading and writing the monitoring tables: registering a device's monitors, taking the
probes that are due, and recording results (with the health events they cause)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_mgmt.adapters.orm import managed_devices
from servicevm_mgmt.adapters.repository import driver_of
from servicevm_mgmt.monitoring.states import MonitorState, ProbeResult, after_probe, health_change
from servicevm_mgmt.monitoring.tables import monitored_devices as md
from shared.contracts import events
from shared.contracts.monitoring import MonitoringPolicy
from shared.db.raw import qualified

# Monitors mgmt's workers probe; ``driver`` needs the device driver and is lifecycle's.
PROBED_BY_MGMT = ("ping", "http", "mgmt")


@dataclass(frozen=True)
class Probe:
    """One due probe, as a Celery task carries it (JSON-friendly via ``as_message``)."""

    device_id: uuid.UUID
    monitor: str
    mgmt_driver: str
    mgmt_address: str | None
    spec: dict[str, Any]
    parameters: dict[str, str]

    def as_message(self) -> dict[str, Any]:
        return {**self.__dict__, "device_id": str(self.device_id)}

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Probe:
        return cls(**{**data, "device_id": uuid.UUID(data["device_id"])})


async def register(
    conn: AsyncConnection,
    *,
    device_id: uuid.UUID,
    tenant_id: str,
    mgmt_driver: str,
    mgmt_address: str | None,
    policy: MonitoringPolicy | None,
) -> None:
    """Start monitoring a (new, updated or respawned) device by its policy, from a clean
    slate: its earlier monitors went when its configuration was recorded
    (``repository.record_configuration``). No statement for a device without monitors."""
    monitors = [m for m in (policy.monitors if policy else []) if m.type in PROBED_BY_MGMT]
    if not monitors:
        return
    driver = await driver_of(conn)
    await driver.execute(
        _REGISTER,
        device_id,
        tenant_id,
        mgmt_driver,
        mgmt_address,
        [monitor.type for monitor in monitors],
        [json.dumps(monitor.model_dump()) for monitor in monitors],
    )


def _register_sql() -> str:
    """All the device's monitors in one statement, each first due one interval from now."""
    return (
        f"INSERT INTO {qualified(md)} (device_id, monitor, tenant_id, mgmt_driver, "
        "mgmt_address, spec, next_probe_at) "
        "SELECT $1, monitor, $2, $3, $4, spec, "
        "now() + make_interval(secs => (spec ->> 'interval')::float8) "
        "FROM unnest($5::text[], $6::jsonb[]) AS monitors (monitor, spec)"
    )


_REGISTER = _register_sql()


def _seconds(value: Any) -> Any:
    return func.make_interval(0, 0, 0, 0, 0, 0, value)


_FORGET = delete(md).where(md.c.device_id == bindparam("device_id"))


async def forget(conn: AsyncConnection, *, device_id: uuid.UUID) -> None:
    await conn.execute(_FORGET, {"device_id": device_id})


async def take_due(conn: AsyncConnection, *, limit: int) -> list[Probe]:
    """Claim the probes that are due and move each one interval on (from when it was due,
    so rounds keep their cadence); rows another round claims are skipped, not waited for."""
    due = (
        select(md.c.device_id, md.c.monitor)
        .where(md.c.next_probe_at <= func.now())
        .order_by(md.c.next_probe_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    interval = _seconds(md.c.spec["interval"].as_float())
    claimed = (
        update(md)
        .where(md.c.device_id == due.c.device_id, md.c.monitor == due.c.monitor)
        .values(next_probe_at=func.greatest(md.c.next_probe_at + interval, func.now()))
        .returning(md.c.device_id, md.c.monitor, md.c.mgmt_driver, md.c.mgmt_address, md.c.spec)
    )
    rows = (await conn.execute(claimed)).all()
    parameters = await _parameters(conn, {row.device_id for row in rows if row.monitor == "mgmt"})
    return [
        Probe(
            device_id=row.device_id,
            monitor=row.monitor,
            mgmt_driver=row.mgmt_driver,
            mgmt_address=row.mgmt_address,
            spec=row.spec,
            parameters=parameters.get(row.device_id, {}),
        )
        for row in rows
    ]


async def _parameters(
    conn: AsyncConnection, device_ids: set[uuid.UUID]
) -> dict[uuid.UUID, dict[str, str]]:
    if not device_ids:
        return {}
    query = select(managed_devices.c.id, managed_devices.c.parameters).where(
        managed_devices.c.id.in_(device_ids)
    )
    return {row.id: row.parameters for row in await conn.execute(query)}


async def record(
    conn: AsyncConnection, results: Sequence[tuple[Probe, ProbeResult]], *, at: datetime
) -> list[events.DeviceHealthChanged | events.DeviceMonitorsReported]:
    """Store the results; the events they cause (health changes, and state reports for the
    views whenever a monitor's result or failure count changed)."""
    by_device: dict[uuid.UUID, dict[str, ProbeResult]] = {}
    for probe, result in results:
        by_device.setdefault(probe.device_id, {})[probe.monitor] = result
    query = (
        select(md)
        .where(md.c.device_id.in_(by_device))
        .order_by(md.c.device_id, md.c.monitor)
        .with_for_update()
    )
    current: dict[uuid.UUID, list[Any]] = {}
    for row in await conn.execute(query):
        current.setdefault(row.device_id, []).append(row)
    out: list[events.DeviceHealthChanged | events.DeviceMonitorsReported] = []
    saves: list[dict[str, Any]] = []
    for device_id, rows in current.items():
        out.extend(_record_device(rows, by_device[device_id], saves, at=at))
    if saves:
        # One statement for the whole flush (executemany): a round trip per row was a
        # third of the worker's CPU at 10,000 devices.
        await conn.execute(_SAVE, saves)
    return out


def _record_device(
    rows: list[Any], results: dict[str, ProbeResult], saves: list[dict[str, Any]], *, at: datetime
) -> list[events.DeviceHealthChanged | events.DeviceMonitorsReported]:
    before = {row.monitor: _state(row) for row in rows}
    after = dict(before)
    reports, changed = [], False
    for row in rows:
        result = results.get(row.monitor)
        if result is not None:
            after[row.monitor] = after_probe(
                before[row.monitor], result, threshold=int(row.spec["threshold"])
            )
            changed |= row.last_ok is not result.ok or after[row.monitor] != before[row.monitor]
            saves.append(_saved(row, after[row.monitor], result, at=at))
        reports.append(_report(row, after[row.monitor], result, at=at))
    first = rows[0]
    out: list[events.DeviceHealthChanged | events.DeviceMonitorsReported] = []
    healthy = health_change(before.values(), after.values())
    if healthy is not None:
        failing = next((m for m, s in after.items() if not s.healthy), None)
        out.append(
            events.DeviceHealthChanged(
                device_id=first.device_id,
                tenant_id=first.tenant_id,
                healthy=healthy,
                monitor=failing,
                last_error=after[failing].last_error if failing else None,
            )
        )
    if changed:
        out.append(
            events.DeviceMonitorsReported(
                device_id=first.device_id,
                tenant_id=first.tenant_id,
                healthy=all(s.healthy for s in after.values()),
                monitors=reports,
            )
        )
    return out


def _state(row: Any) -> MonitorState:
    return MonitorState(
        consecutive_failures=row.consecutive_failures,
        healthy=row.healthy,
        last_error=row.last_error,
    )


_SAVE = (
    update(md)
    .where(md.c.device_id == bindparam("d_id"), md.c.monitor == bindparam("d_monitor"))
    .values(
        last_probe_at=bindparam("d_at"),
        last_ok=bindparam("d_ok"),
        last_latency_seconds=bindparam("d_latency"),
        last_error=bindparam("d_error"),
        consecutive_failures=bindparam("d_failures"),
        healthy=bindparam("d_healthy"),
    )
)


def _saved(row: Any, state: MonitorState, result: ProbeResult, *, at: datetime) -> dict[str, Any]:
    return {
        "d_id": row.device_id,
        "d_monitor": row.monitor,
        "d_at": at,
        "d_ok": result.ok,
        "d_latency": result.latency_seconds,
        "d_error": state.last_error,
        "d_failures": state.consecutive_failures,
        "d_healthy": state.healthy,
    }


def _report(
    row: Any, state: MonitorState, result: ProbeResult | None, *, at: datetime
) -> events.MonitorReport:
    return events.MonitorReport(
        monitor=row.monitor,
        last_probe_at=at if result else row.last_probe_at,
        ok=result.ok if result else row.last_ok,
        consecutive_failures=state.consecutive_failures,
        healthy=state.healthy,
        last_error=state.last_error,
        latency_seconds=result.latency_seconds if result else row.last_latency_seconds,
    )
