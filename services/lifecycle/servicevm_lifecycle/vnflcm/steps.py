"""Issuing a plan's steps as lifecycle's own device commands, and what a settled step does
to the VNF's VNFCs. Everything here runs inside the caller's transaction."""

from __future__ import annotations

from servicevm_lifecycle.adapters import repository as device_repo
from servicevm_lifecycle.adapters.template_cache import TEMPLATES
from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.vims.credentials import choose_vim
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from shared.contracts import commands, events
from shared.contracts.vnflcm import OperateVnfc, VnfState
from shared.db.uow import UnitOfWork


async def issue(uow: UnitOfWork, vnf: Vnf, op: OpOcc, step: Step) -> bool:
    """Send the step's device command; False when there is nothing to send (the device of a
    DELETE is gone already): the step is then DONE at once."""
    if step.action == "CREATE":
        await _issue_create(uow, vnf, op, step)
    elif step.action == "DELETE":
        if not await repo.device_exists(uow.conn, device_id=step.device_id):
            return False
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
    return True


async def _issue_create(uow: UnitOfWork, vnf: Vnf, op: OpOcc, step: Step) -> None:
    """The device row (PENDING_CREATE, announced as any new device) and the VNFC row are
    written now, so the VNF shows its VNFCs at once; CreateDevice then runs the driver."""
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
    if await device_repo.add_device(uow.conn, device=device):
        await uow.publish(
            events.DeviceStatusChanged(device=device.snapshot(), previous_status=None),
            tenant_id=vnf.tenant_id,
        )
    await repo.add_vnfc(
        uow.conn,
        vnf_id=vnf.id,
        vnfc_id=step.vnfc_id,
        vdu_id=step.vdu_id,
        device_id=step.device_id,
    )
    await uow.publish(command, tenant_id=vnf.tenant_id)


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
