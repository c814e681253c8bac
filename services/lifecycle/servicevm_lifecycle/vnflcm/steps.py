"""Issuing a plan's steps as lifecycle's own device commands (or doing them at once, when
there is nothing to wait for), and what a settled step does to the VNF's VNFCs. Everything
here runs inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace

from servicevm_lifecycle.adapters import repository as device_repo
from servicevm_lifecycle.adapters.template_cache import TEMPLATES
from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.flows import in_process
from servicevm_lifecycle.vims.credentials import choose_vim
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain.model import Step, StepAction, Vnf
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from shared.contracts import commands, events
from shared.contracts.models import DeviceStatus, DeviceTemplateSnapshot
from shared.contracts.vnflcm import OperateVnfc, VnfState
from shared.db.uow import UnitOfWork


@dataclass(frozen=True)
class SettledNow:
    """A step done where it was issued, in the same transaction (no command to wait for):
    its outcome, as ``opocc.settle`` takes it."""

    actions: frozenset[StepAction]
    ok: bool = True
    reason: str | None = None
    # The VNFC row is as the settled step leaves it already (inserted by this transaction
    # pointing to the step's device): ``apply_settled`` has nothing to write.
    applied: bool = False


_GONE = SettledNow(frozenset({"DELETE"}))


async def issue(uow: UnitOfWork, vnf: Vnf, op: OpOcc, step: Step) -> SettledNow | None:
    """Send the step's device command (None: the step settles when its device reports), or
    do it here: a DELETE whose device is gone already, a CREATE whose driver works in this
    process."""
    if step.action == "CREATE":
        return await _issue_create(uow, vnf, op, step)
    elif step.action == "DELETE":
        if not await repo.device_exists(uow.conn, device_id=step.device_id):
            return _GONE
        await uow.publish(commands.DeleteDevice(id=step.device_id), tenant_id=vnf.tenant_id)
    elif step.action == "UPDATE":
        await uow.publish(
            commands.UpdateDevice(id=step.device_id, kwargs=step.kwargs), tenant_id=vnf.tenant_id
        )
    else:
        # A graceful stop only asks the VNFC to stop; the graceful stop watcher
        # (vnflcm/graceful.py) settles the step when it has stopped or its wait is over.
        command = OperateVnfc(
            id=step.device_id,
            vnf_instance_id=vnf.id,
            op_occ_id=op.id,
            change_state_to="STARTED" if step.action == "START" else "STOPPED",
            graceful_timeout_seconds=step.graceful_seconds,
        )
        await uow.publish(command, tenant_id=vnf.tenant_id)
    return None


async def _issue_create(uow: UnitOfWork, vnf: Vnf, op: OpOcc, step: Step) -> SettledNow | None:
    """The device row (PENDING_CREATE, announced as any new device) and the VNFC row are
    written now, so the VNF shows its VNFCs at once; CreateDevice then runs the driver. A
    driver that works in this process builds the device here instead, as lifecycle's
    create handler would have (``_build_here``): no command, no second transaction."""
    assert step.template_id is not None
    kwargs: dict[str, object] = {
        "vnf_instance_id": str(vnf.id),
        "vdu_id": step.vdu_id,
        "vnfc_id": str(step.vnfc_id),
    }
    links = op.target.ext_virtual_links if op.target.ext_virtual_links is not None else None
    links = links if links is not None else vnf.ext_virtual_links
    if links:
        kwargs["ext_virtual_links"] = links
    zone = op.grant.zones.get(str(step.device_id)) if op.grant is not None else None
    if zone is not None:
        kwargs["availability_zone"] = zone  # where the NFVO's grant placed it
    command = commands.CreateDevice(
        id=step.device_id,
        tenant_id=vnf.tenant_id,
        template_id=step.template_id,
        kwargs=kwargs,
        service_contexts=[],
        vim_id=vnf.vim_id or op.target.vim_id or (op.grant.vim_id if op.grant else None),
    )
    # Its existence is proven again where the device's create reads the row.
    template = await TEMPLATES.get(uow.conn, template_id=step.template_id)
    device = Device(
        id=step.device_id,
        tenant_id=vnf.tenant_id,
        template_id=step.template_id,
        kwargs=kwargs,
        service_contexts=[],
        vim_id=await choose_vim(uow.conn, command, template),
    )
    if template is not None and in_process.in_process(template):
        settled = await _build_here(uow, device, template, command)
        added = await _add_vnfc(uow, vnf, step)
        return replace(settled, applied=True) if settled is not None and added else settled
    if await device_repo.add_device(uow.conn, device=device):
        await uow.publish(
            events.DeviceStatusChanged(device=device.snapshot(), previous_status=None),
            tenant_id=vnf.tenant_id,
        )
    await _add_vnfc(uow, vnf, step)
    await uow.publish(command, tenant_id=vnf.tenant_id)
    return None


async def _build_here(
    uow: UnitOfWork,
    device: Device,
    template: DeviceTemplateSnapshot,
    command: commands.CreateDevice,
) -> SettledNow | None:
    """Run the in-process driver and write the device as it left it, announced as it went
    (PENDING_CREATE, then ACTIVE or ERROR, in one message), as ``handlers._add_built`` does
    for a device of its own. None when the step settles later: the device waits for mgmt to
    configure it, or it was recorded already, and ``command`` has lifecycle's create handler
    finish it."""
    built = await in_process.build(device, template)
    if not await device_repo.add_device_of_template(uow.conn, device=built.device):
        if await repo.device_exists(uow.conn, device_id=device.id):
            # Not by this plan, which gives each step a device of its own; handled as the
            # command path would (the create handler builds a recorded PENDING_CREATE one).
            await uow.publish(command, tenant_id=device.tenant_id)
            return None
        # Its template was deleted (by another replica) since it was read.
        TEMPLATES.forget(device.template_id)
        reason = f"create failed: device template {device.template_id} not found"
        built = in_process.Built(device.transition(DeviceStatus.ERROR, error_reason=reason), None)
        await device_repo.add_device(uow.conn, device=built.device)
    await in_process.announce_built(uow, built, created=device)
    if built.device.status == DeviceStatus.PENDING_CREATE:
        return None
    ok = built.device.status == DeviceStatus.ACTIVE
    return SettledNow(frozenset({"CREATE"}), ok=ok, reason=built.device.error_reason)


async def _add_vnfc(uow: UnitOfWork, vnf: Vnf, step: Step) -> bool:
    return await repo.add_vnfc(
        uow.conn,
        vnf_id=vnf.id,
        vnfc_id=step.vnfc_id,
        vdu_id=step.vdu_id,
        device_id=step.device_id,
    )


async def apply_settled(uow: UnitOfWork, step: Step) -> None:
    """What a DONE step changes in the VNFC rows."""
    if step.status != "DONE":
        return
    conn = uow.conn
    if step.action == "CREATE":
        await repo.point_vnfc(conn, vnfc_id=step.vnfc_id, device_id=step.device_id)
    elif step.action == "DELETE":
        if await repo.vnfc_device(conn, vnfc_id=step.vnfc_id) != step.device_id:
            return  # the VNFC moved to another device already (heal, retry)
        restore = step.replaces
        if restore is not None and await repo.device_exists(conn, device_id=restore):
            await repo.point_vnfc(conn, vnfc_id=step.vnfc_id, device_id=restore)
        else:
            await repo.remove_vnfc(conn, vnfc_id=step.vnfc_id)
    elif step.action in ("START", "STOP"):
        state: VnfState = "STARTED" if step.action == "START" else "STOPPED"
        await repo.set_power_state(conn, device_id=step.device_id, power_state=state)
