"""One handler per device message lifecycle consumes, in DEVICE_HANDLERS (the templates'
are in ``templates``, the VIMs' in ``vims.handlers``; ``bootstrap`` joins the tables).

Device operations run in steps, each its own transaction, each safe to repeat: a worker
that dies mid-operation leaves the message unacknowledged, and the redelivery resumes from
what the database says was done. The last step records the message as processed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.adapters.template_cache import TEMPLATES
from servicevm_lifecycle.domain.model import Device, refusal_reason
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.flows.device_tasks import (
    CREATE_FLOW,
    DELETE_FLOW,
    UPDATE_FLOW,
    DeviceFlowState,
    flow_state,
)
from servicevm_lifecycle.flows.in_process import (
    Built,
    announce,
    announce_built,
    build,
    failure_reason,
    in_process,
    rides_on_status,
    spawned_device,
)
from servicevm_lifecycle.vims import repository as vim_repo
from servicevm_lifecycle.vims.credentials import NoVim, choose_vim
from servicevm_lifecycle.vnflcm import hooks as vnflcm_hooks
from shared.contracts import commands, events
from shared.contracts.events import Operation
from shared.contracts.models import DeviceStatus, DeviceTemplateSnapshot
from shared.db.uow import UnitOfWork
from shared.flows import FlowFailed, Task, run_flow
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.messaging.not_yet import wait_for
from shared.observability.metrics import timed_device_operation
from shared.plugins import PluginNotFound

S = DeviceStatus
log = logging.getLogger(__name__)


# --- devices -----------------------------------------------------------------------------


def _created_in_process(cmd: commands.CreateDevice) -> bool:
    template = TEMPLATES.peek(cmd.template_id)
    return template is not None and in_process(template)


@one_transaction(when=_created_in_process)
async def create_device(cmd: commands.CreateDevice, ctx: HandlerContext) -> None:
    template = TEMPLATES.peek(cmd.template_id)
    if template is not None and in_process(template):
        await _create_in_process(cmd, ctx, template)
    else:
        await _create_in_steps(cmd, ctx)


async def _create_in_steps(cmd: commands.CreateDevice, ctx: HandlerContext) -> None:
    """A driver that builds outside this process: the device is recorded PENDING_CREATE
    first, then the driver's steps run, each recorded in its own transaction."""
    async with ctx.transaction() as uow:
        template = await TEMPLATES.get(uow.conn, template_id=cmd.template_id)
        if template is None:
            # The api accepted the device with its template: the template's own command
            # may still be on its way (another replica, a requeue). Fails below if not.
            wait_for(ctx.envelope, f"device template {cmd.template_id}")
        found = await repo.get_device_and_template(uow.conn, device_id=cmd.id, for_update=True)
        if found is None:
            vim_id = await choose_vim(uow.conn, cmd, template)
            await _wait_for_vim(uow, ctx, vim_id)
            device = _new_device(cmd, vim_id)
            if template is not None and not await repo.add_device_of_template(
                uow.conn, device=device
            ):
                TEMPLATES.forget(cmd.template_id)  # deleted meanwhile (by another replica)
                template = None
            if template is None:
                reason = f"device template {cmd.template_id} not found"
                device = replace(device, status=S.ERROR, error_reason=reason)
                await repo.add_device(uow.conn, device=device)
            await announce(uow, device)
            await vnflcm_hooks.device_changed(uow, device)
            await uow.commit()
        else:
            device = found.device
            if not found.template_exists:
                TEMPLATES.forget(cmd.template_id)
                template = None
    if device.status != S.PENDING_CREATE:
        await _finish(ctx)
    elif template is None:
        # Recorded PENDING_CREATE beforehand (a VNFC whose op wrote the row): fail it.
        await _fail(ctx, device, f"create failed: device template {cmd.template_id} not found")
    else:
        await _run_driver_flow(ctx, device, template, CREATE_FLOW, operation="create")


async def _wait_for_vim(uow: UnitOfWork, ctx: HandlerContext, vim_id: uuid.UUID | None) -> None:
    """The api accepted the device with its VIM, whose registration may still be on its
    way; without it the driver's flow fails ("VIM ... not found")."""
    if vim_id is not None and await vim_repo.get_vim(uow.conn, vim_id=vim_id) is None:
        wait_for(ctx.envelope, f"VIM {vim_id}")


async def _create_in_process(
    cmd: commands.CreateDevice, ctx: HandlerContext, template: DeviceTemplateSnapshot
) -> None:
    """The whole create in one transaction (its driver works in this process alone): a
    new device is written once, in the state the driver left it, and announced as it went
    (PENDING_CREATE, then ACTIVE or ERROR, in one message); a VNFC whose op wrote its row
    is locked and updated instead."""
    async with ctx.transaction(final=True) as uow:
        vim_id = await choose_vim(uow.conn, cmd, template)
        await _wait_for_vim(uow, ctx, vim_id)
        new = _new_device(cmd, vim_id)
        # A VNFC's row is written by its op: no insert is tried for it.
        if vnflcm_hooks.vnf_of(new) is not None or not await _add_built(uow, ctx, new, template):
            await _build_recorded(uow, ctx, new, template)
        await uow.commit()


async def _add_built(
    uow: UnitOfWork, ctx: HandlerContext, new: Device, template: DeviceTemplateSnapshot
) -> bool:
    """Run the driver, then insert the device as it left it; False (nothing written) when
    the device is recorded already or its template is not."""
    built = await build(new, template, ctx)
    if not await repo.add_device_of_template(uow.conn, device=built.device):
        return False
    await vnflcm_hooks.device_changed(uow, new)
    await _announce_built(uow, built, created=new)
    return True


async def _build_recorded(
    uow: UnitOfWork, ctx: HandlerContext, new: Device, template: DeviceTemplateSnapshot
) -> None:
    """The device is recorded (a VNFC, a redelivery) or its template is not."""
    found = await repo.get_device_and_template(uow.conn, device_id=new.id, for_update=True)
    if found is None:
        # Its template was deleted (by another replica) since it was read.
        TEMPLATES.forget(new.template_id)
        reason = f"device template {new.template_id} not found"
        failed = replace(new, status=S.ERROR, error_reason=reason)
        await repo.add_device(uow.conn, device=failed)
        await announce(uow, failed)
        await vnflcm_hooks.device_changed(uow, failed)
    elif found.device.status != S.PENDING_CREATE:
        pass  # created already
    elif not found.template_exists:
        TEMPLATES.forget(new.template_id)
        reason = f"create failed: device template {new.template_id} not found"
        await save_and_announce(uow, found.device.transition(S.ERROR, error_reason=reason))
    else:
        built = await build(found.device, template, ctx)
        await repo.save_device(uow.conn, device=built.device)
        await _announce_built(uow, built)


async def _announce_built(uow: UnitOfWork, built: Built, *, created: Device | None = None) -> None:
    """``announce_built``; a VNFC's op advances with its device's new state."""
    await announce_built(uow, built, created=created)
    if built.device.status != S.PENDING_CREATE:
        await vnflcm_hooks.device_changed(uow, built.device)


def _new_device(cmd: commands.CreateDevice, vim_id: uuid.UUID | None) -> Device:
    return Device(
        id=cmd.id,
        tenant_id=cmd.tenant_id,
        template_id=cmd.template_id,
        kwargs=cmd.kwargs,
        service_contexts=cmd.service_contexts,
        vim_id=vim_id,
    )


async def update_device(cmd: commands.UpdateDevice, ctx: HandlerContext) -> None:
    started = await _begin(ctx, cmd.id, S.PENDING_UPDATE, kwargs=cmd.kwargs)
    if started is None:
        return
    device, template = started
    if template is None:
        await _fail(ctx, device, f"update failed: device template {device.template_id} not found")
        return
    await _run_driver_flow(ctx, device, template, UPDATE_FLOW, operation="update")


async def delete_device(cmd: commands.DeleteDevice, ctx: HandlerContext) -> None:
    started = await _begin(ctx, cmd.id, S.PENDING_DELETE)
    if started is None:
        return
    device, template = started
    failure = None if template is None else await _delete_instance(ctx, device, template)
    if failure is not None:
        await _fail(ctx, device, f"delete failed: {failure}")
        return
    async with ctx.transaction(final=True) as uow:
        await repo.delete_device(uow.conn, device_id=device.id)
        gone = replace(device, revision=device.revision + 1)
        await uow.publish(
            events.DeviceDeleted(device=gone.snapshot(), previous_status=device.status),
            tenant_id=device.tenant_id,
        )
        await vnflcm_hooks.device_changed(uow, gone, deleted=True)
        await uow.commit()


async def _delete_instance(
    ctx: HandlerContext, device: Device, template: DeviceTemplateSnapshot
) -> str | None:
    """Run the driver's delete; why it failed, or None. A device with no recorded instance
    may still have one (a crash between boot and record): the driver looks it up by device
    id; when even that cannot be done (no VIM, cloud down) the device goes, and the orphan
    reconciler removes whatever is left after its grace period."""
    try:
        driver = get_device_driver(template.device_driver)
        state = await flow_state(ctx, driver, device, template)
        with timed_device_operation(template.device_driver, "delete"):
            await run_flow(DELETE_FLOW, state)
    except (FlowFailed, PluginNotFound, NoVim) as exc:
        if device.instance_id is not None:
            return failure_reason(exc)
        log.warning(
            "no instance looked up for a device without one; left to the orphan reconciler",
            extra={"device_id": str(device.id), "reason": failure_reason(exc)},
        )
    return None


@one_transaction()
async def device_configured(event: events.DeviceConfigured, ctx: HandlerContext) -> None:
    """mgmt finished configuring: the device becomes ACTIVE, or ERROR with mgmt's reason."""
    async with ctx.transaction(final=True) as uow:
        device = await repo.get_device(uow.conn, device_id=event.device_id, for_update=True)
        if device is not None and device.status in (S.PENDING_CREATE, S.PENDING_UPDATE):
            if event.succeeded:
                device = device.transition(S.ACTIVE)
            else:
                device = device.transition(
                    S.ERROR, error_reason=f"configuration failed: {event.reason}"
                )
            await save_and_announce(uow, device)
        await uow.commit()


# --- steps -------------------------------------------------------------------------------


async def _begin(
    ctx: HandlerContext, device_id: uuid.UUID, pending: str, **changes: Any
) -> tuple[Device, DeviceTemplateSnapshot | None] | None:
    """Move the device to ``pending`` (or find it there, on a redelivery) and load its template;
    None when the command no longer fits the device, which has then been re-announced."""
    async with ctx.transaction() as uow:
        found = await repo.get_device_and_template(uow.conn, device_id=device_id, for_update=True)
        device = None if found is None else found.device
        if device is None or not (device.status == pending or device.can(pending)):
            await _refuse(uow, ctx, device, pending)
            return None
        if device.status != pending:
            device = device.transition(pending, **changes)
            await save_and_announce(uow, device)
        template = None
        if found is not None and found.template_exists:
            template = await TEMPLATES.get(uow.conn, template_id=device.template_id)
        await uow.commit()
    return device, template


async def _run_driver_flow(
    ctx: HandlerContext,
    device: Device,
    template: DeviceTemplateSnapshot,
    flow: Sequence[Task[DeviceFlowState]],
    *,
    operation: Operation,
) -> None:
    """Run the driver's part, then hand the device to mgmt for its configuration."""
    try:
        driver = get_device_driver(template.device_driver)
        state = await flow_state(ctx, driver, device, template)
    except (PluginNotFound, NoVim) as exc:
        await _fail(ctx, device, f"{operation} failed: {failure_reason(exc)}")
        return
    try:
        with timed_device_operation(template.device_driver, operation):
            await run_flow(flow, state)
    except FlowFailed as exc:
        await _fail(ctx, device, f"{operation} failed: {exc.reason}")
        return
    await _hand_to_mgmt(ctx, device, template, state, operation=operation)


async def _hand_to_mgmt(
    ctx: HandlerContext,
    device: Device,
    template: DeviceTemplateSnapshot,
    state: DeviceFlowState,
    *,
    operation: Operation,
) -> None:
    """Record what the driver found and ask mgmt to configure the device (final step). A
    device whose mgmt driver has nothing to configure becomes ACTIVE here: mgmt is told which
    device it manages ahead of the status change (or with it, a create's), so its
    notifications keep their order."""
    async with ctx.transaction(final=True) as uow:
        current = await repo.get_device(uow.conn, device_id=device.id, for_update=True)
        if current is None or current.status != device.status:
            await uow.commit()
            return
        changed, spawned = spawned_device(current, template, state, operation=operation)
        if spawned.configure and state.facts is not None:
            await repo.save_device(uow.conn, device=changed)  # else saved with its status below
        rides = rides_on_status(spawned)
        if not rides:
            await uow.publish(spawned, tenant_id=current.tenant_id)
        if not spawned.configure:
            await save_and_announce(uow, changed, spawned=spawned if rides else None)
        await uow.commit()


async def _fail(ctx: HandlerContext, device: Device, reason: str) -> None:
    """The final guard: whatever went wrong, the device ends in ERROR with the reason."""
    log.warning("device operation failed", extra={"device_id": str(device.id), "reason": reason})
    async with ctx.transaction(final=True) as uow:
        current = await repo.get_device(uow.conn, device_id=device.id, for_update=True)
        if current is not None and current.can(S.ERROR):
            await save_and_announce(uow, current.transition(S.ERROR, error_reason=reason))
        await uow.commit()


async def _refuse(uow: UnitOfWork, ctx: HandlerContext, device: Device | None, wanted: str) -> None:
    """A command that no longer fits the device (its state changed after the api accepted
    it, e.g. a pool's shrink or a failure won the race): announce its real state, with the
    refusal as its reason, so the client that got 2xx sees what became of its request."""
    log.warning(
        "refusing a device command that does not fit its state",
        extra={"wanted": wanted, "status": device.status if device else None},
    )
    await uow.record_processed(ctx.envelope)
    if device is not None:
        reason = refusal_reason(wanted, device.status, device.error_reason)
        refused = replace(
            device,
            revision=device.revision + 1,
            previous_status=device.status,
            error_reason=reason,
        )
        await save_and_announce(uow, refused)
    await uow.commit()


async def _finish(ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await uow.commit()


async def save_and_announce(
    uow: UnitOfWork, device: Device, *, spawned: events.DeviceSpawned | None = None
) -> None:
    """Record a device change and announce it; a VNFC's op advances in the same transaction."""
    await repo.save_device(uow.conn, device=device)
    await announce(uow, device, spawned=spawned)
    await vnflcm_hooks.device_changed(uow, device)


DEVICE_HANDLERS: HandlerTable = {
    commands.CreateDevice: create_device,
    commands.UpdateDevice: update_device,
    commands.DeleteDevice: delete_device,
    events.DeviceConfigured: device_configured,
}
