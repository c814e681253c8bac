"""Powering a VNFC's device on or off (OPERATE, and the stop before a GRACEFUL terminate)
through its device driver. The device status model is unchanged (an ACTIVE device may be
stopped); the power state is the VNFC's, recorded when the op's step settles.

A graceful stop is only asked for here (the driver's request_stop returns at once); the
graceful stop watcher (``graceful.py``) settles its step.

Starting or stopping twice is harmless, so a redelivery after a crash simply asks again."""

from __future__ import annotations

import asyncio
import logging

from servicevm_lifecycle.adapters import repository as device_repo
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.drivers.base import DeviceDriver, DeviceDriverError, DeviceSpec
from servicevm_lifecycle.flows.device_tasks import flow_state
from servicevm_lifecycle.vims.credentials import NoVim
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain.model import StepAction
from servicevm_lifecycle.vnflcm.hooks import step_settled
from servicevm_lifecycle.vnflcm.progress import now
from shared.config import get_settings
from shared.contracts.vnflcm import OperateVnfc
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import HandlerContext
from shared.plugins import PluginNotFound

log = logging.getLogger(__name__)


async def operate_vnfc(cmd: OperateVnfc, ctx: HandlerContext) -> None:
    if cmd.change_state_to == "STOPPED" and cmd.graceful_timeout_seconds is not None:
        if await _waited_for(cmd, ctx) and await _ask_to_stop(cmd, ctx) is None:
            # Asked: the graceful stop watcher settles the step (stopped, or its time up),
            # holding neither this worker nor a transaction meanwhile.
            async with ctx.transaction(final=True) as uow:
                await _wait_from_now(uow, cmd)
                await uow.commit()
            return
        # It could not even be asked: stop it forcefully now (SOL003: the graceful part
        # "succeeded or failed", the stop follows). So too for a command of a plan that
        # records no wait (sent before lifecycle recorded graceful waits): nothing would
        # settle its step otherwise.
        cmd = cmd.model_copy(update={"graceful_timeout_seconds": None})
    reason = await _power(cmd, ctx)
    action: StepAction = "START" if cmd.change_state_to == "STARTED" else "STOP"
    async with ctx.transaction(final=True) as uow:
        # Lock order as for any device change: device, VNF, op.
        await device_repo.get_device(uow.conn, device_id=cmd.id, for_update=True)
        vnf = await repo.get_vnf(uow.conn, vnf_id=cmd.vnf_instance_id, for_update=True)
        op = await repo.get_op(uow.conn, op_id=cmd.op_occ_id, for_update=True)
        if vnf is not None and op is not None:
            settled = opocc.settle(
                op, cmd.id, frozenset({action}), ok=reason is None, reason=reason
            )
            if settled is not None:
                await step_settled(uow, vnf, op, settled)
        await uow.commit()


async def _power(cmd: OperateVnfc, ctx: HandlerContext) -> str | None:
    """Ask the driver; None when done, else why not."""
    verb = "start" if cmd.change_state_to == "STARTED" else "stop"
    try:
        driver, instance_id, spec = await _target(cmd, ctx, verb)
        timeout = get_settings().driver_timeout_seconds
        if verb == "start":
            await asyncio.wait_for(driver.start(instance_id, spec), timeout)
        else:
            await asyncio.wait_for(driver.stop(instance_id, spec), timeout)
    except (DeviceDriverError, PluginNotFound, NoVim, TimeoutError) as exc:
        log.warning("VNFC power change failed", extra={"device_id": str(cmd.id), "verb": verb})
        return f"{verb} failed: {exc or type(exc).__name__}"
    return None


async def _waited_for(cmd: OperateVnfc, ctx: HandlerContext) -> bool:
    """Whether the op's STOP step of this device is a graceful one being waited for."""
    async with ctx.transaction() as uow:
        op = await repo.get_op(uow.conn, op_id=cmd.op_occ_id)
    return op is not None and any(
        s.device_id == cmd.id and s.action == "STOP" and s.wait_until is not None for s in op.steps
    )


async def _wait_from_now(uow: UnitOfWork, cmd: OperateVnfc) -> None:
    """The step's graceful wait restarted now that the VNFC has been asked to stop."""
    # Lock order as everywhere: the VNF, then its op.
    await repo.get_vnf(uow.conn, vnf_id=cmd.vnf_instance_id, for_update=True, with_vnfcs=False)
    before = await repo.get_op(uow.conn, op_id=cmd.op_occ_id, for_update=True)
    if before is None:
        return
    op = opocc.asked_to_stop(before, cmd.id, now())
    if op is not before:
        await repo.save_op(uow.conn, op=op, before=before)


async def _ask_to_stop(cmd: OperateVnfc, ctx: HandlerContext) -> str | None:
    """The driver's request_stop (returns at once); None when asked, else why not."""
    try:
        driver, instance_id, spec = await _target(cmd, ctx, "stop")
        timeout = get_settings().driver_timeout_seconds
        await asyncio.wait_for(driver.request_stop(instance_id, spec), timeout)
    except (DeviceDriverError, PluginNotFound, NoVim, TimeoutError) as exc:
        log.warning("VNFC graceful stop not asked", extra={"device_id": str(cmd.id)})
        return f"stop not asked: {exc or type(exc).__name__}"
    return None


async def _target(
    cmd: OperateVnfc, ctx: HandlerContext, verb: str
) -> tuple[DeviceDriver, str, DeviceSpec]:
    """The VNFC device's driver, instance and spec. Raises DeviceDriverError without one."""
    async with ctx.transaction() as uow:
        device = await device_repo.get_device(uow.conn, device_id=cmd.id)
        template = None
        if device is not None:
            template = await device_repo.get_template(uow.conn, template_id=device.template_id)
    if device is None or template is None or device.instance_id is None:
        raise DeviceDriverError(f"device {cmd.id} has no instance to {verb}")
    driver = get_device_driver(template.device_driver)
    state = await flow_state(ctx, driver, device, template)
    return driver, device.instance_id, state.spec
