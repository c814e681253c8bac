"""The graceful stop watcher: the wait of a GRACEFUL terminate, or of an operate STOPPED
with stopType GRACEFUL (SOL003 5.5.2.8, 5.5.2.10).

Such a STOP step is SENT with ``wait_until`` recorded in the op's plan; its OperateVnfc
only asked the VNFC to stop (the driver's request_stop). Every
``graceful_stop_poll_seconds`` this job looks at each VNFC waited for (driver calls outside
any transaction, in no worker's message slot), then, in a short transaction that re-reads
the op under its lock:
- stopped (or gone): the step is DONE and the plan goes on (terminate: the deletes);
- not stopped, past ``wait_until``: terminate goes on forcefully (the deletes), operate
  stops the VNFC forcefully (an OperateVnfc without a graceful timeout);
- else: nothing, it is looked at again.
A cancel (or the op failing meanwhile) ends the wait: the step settles FAILED, nothing more
is issued.
A lifecycle restarted meanwhile finds the same wait in the plan: no sleep lives in memory.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters import repository as device_repo
from servicevm_lifecycle.adapters.orm import vnf_lcm_op_occs as ops
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import DeviceDriver, DeviceDriverError, DeviceSpec
from servicevm_lifecycle.flows.device_tasks import spec_of
from servicevm_lifecycle.vims.credentials import NoVim, load_credentials
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm import steps as step_io
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.model import Step, StepAction
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from servicevm_lifecycle.vnflcm.progress import now, run_plan
from shared.config import Settings, get_settings
from shared.db.raw import Driver, qualified
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every
from shared.plugins import PluginNotFound
from shared.secrets import get_cipher

log = logging.getLogger(__name__)
_STOP: frozenset[StepAction] = frozenset({"STOP"})
# Where a graceful STOP may be in flight (FAILED_TEMP: the op failed or was cancelled
# meanwhile; the step still settles into its plan).
_WATCHED = (st.PROCESSING, st.ROLLING_BACK, st.FAILED_TEMP)


@dataclass(frozen=True)
class _Look:
    """What one look at a waited-for VNFC found."""

    device_id: uuid.UUID
    wait_until: datetime
    stopped: bool


async def watch_graceful_stops(store: ServiceStore, settings: Settings) -> None:
    await every(
        settings.graceful_stop_poll_seconds, lambda: watch_once(store), job="graceful stop watch"
    )


async def watch_once(store: ServiceStore) -> int:
    """Look at every VNFC a graceful stop waits for; how many steps moved on."""
    async with store.engine.connect() as conn:
        waiting = await _ops_waiting(conn)
    moved = 0
    for vnf_id, op_id in waiting:
        moved += await _watch_op(store, vnf_id, op_id)
    return moved


async def _ops_waiting(conn: AsyncConnection) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(vnf id, op id) of unfinished ops with a STOP step in flight (those waiting are
    among them: the JSON containment cannot test that wait_until is set)."""
    # As SQL on the driver: it runs every poll, busy or not.
    driver = await (await Driver.under(conn)).in_transaction()
    rows = await driver.fetch(_ops_waiting_sql(), list(_WATCHED), _STOP_SENT)
    return [(row["vnf_instance_id"], row["id"]) for row in rows]


_STOP_SENT = json.dumps([{"action": "STOP", "status": "SENT"}])


@functools.cache
def _ops_waiting_sql() -> str:
    return (
        f"SELECT vnf_instance_id, id FROM {qualified(ops)} "
        "WHERE state = ANY($1::text[]) AND steps @> $2::jsonb"
    )


def waiting_steps(op: OpOcc) -> list[Step]:
    return [s for s in op.steps if s.status == "SENT" and s.wait_until is not None]


async def _watch_op(store: ServiceStore, vnf_id: uuid.UUID, op_id: uuid.UUID) -> int:
    async with store.engine.connect() as conn:
        op = await repo.get_op(conn, op_id=op_id)
    if op is None or not waiting_steps(op):
        return 0
    looks = await asyncio.gather(*(_look(store, s) for s in waiting_steps(op)))
    async with store.unit_of_work(f"req-graceful-stop-{op_id}") as uow:
        # Lock order as everywhere: the VNF, then its op.
        vnf = await repo.get_vnf(uow.conn, vnf_id=vnf_id, for_update=True)
        before = await repo.get_op(uow.conn, op_id=op_id, for_update=True)
        if vnf is None or before is None:
            return 0
        op, forceful, moved = await _apply(uow, before, looks)
        if moved == 0:
            return 0
        op, issued = opocc.advance(op, now())
        await run_plan(uow, vnf, before, op, [*issued, *forceful])
        await uow.commit()
    return moved


async def _apply(uow: UnitOfWork, op: OpOcc, looks: list[_Look]) -> tuple[OpOcc, list[Step], int]:
    """The looks applied to the op as it is now (a step settled or re-sent meanwhile is
    left alone): the op, the forceful stops to issue, how many steps moved on."""
    at = now()
    forceful: list[Step] = []
    moved = 0
    for look in looks:
        step = next(
            (
                s
                for s in waiting_steps(op)
                if s.device_id == look.device_id and s.wait_until == look.wait_until
            ),
            None,
        )
        if step is None:
            continue
        if look.stopped or op.cancel_requested or op.state not in st.RUNNING:
            # Stopped; or the op is cancelled or failed meanwhile: it stops waiting (and
            # issues nothing more), the VNFC having been asked to stop.
            reason = (
                None
                if look.stopped
                else "no longer waited for: the op was cancelled or failed meanwhile"
            )
            settled = opocc.settle(op, step.device_id, _STOP, ok=look.stopped, reason=reason)
            if settled is None:
                continue
            op, done = settled
            await step_io.apply_settled(uow, done)
        elif at >= look.wait_until:
            log.info("VNFC did not stop in time", extra={"device_id": str(step.device_id)})
            op, now_forceful = opocc.graceful_timed_out(op, step, at)
            forceful += now_forceful
        else:
            continue
        moved += 1
    return op, forceful, moved


async def _look(store: ServiceStore, step: Step) -> _Look:
    assert step.wait_until is not None
    stopped = False
    try:
        stopped = await _is_stopped(store, step.device_id)
    except (DeviceDriverError, PluginNotFound, NoVim, TimeoutError) as exc:
        # Not known to be stopped: waited for until its time is up.
        log.info(
            "graceful stop: no answer", extra={"device_id": str(step.device_id), "why": str(exc)}
        )
    return _Look(step.device_id, step.wait_until, stopped)


async def _is_stopped(store: ServiceStore, device_id: uuid.UUID) -> bool:
    async with store.engine.connect() as conn:
        device = await device_repo.get_device(conn, device_id=device_id)
        template = None
        if device is not None:
            template = await device_repo.get_template(conn, template_id=device.template_id)
        if device is None or template is None or device.instance_id is None:
            return True  # nothing left running
        driver = get_device_driver(template.device_driver)
        vim = None
        if driver.needs_vim:
            vim = await load_credentials(
                conn, vim_id=device.vim_id, tenant_id=device.tenant_id, cipher=get_cipher()
            )
    return await _ask(driver, device.instance_id, spec_of(device, template, vim))


async def _ask(driver: DeviceDriver, instance_id: str, spec: DeviceSpec) -> bool:
    # One look is short; bounded as any driver call, so a hung VIM holds only this look.
    timeout = get_settings().driver_timeout_seconds
    return await asyncio.wait_for(driver.is_stopped(instance_id, spec), timeout)
