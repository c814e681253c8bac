"""lifecycle's handler of mgmt's health verdicts (DeviceHealthChanged).

Unhealthy and ACTIVE: the device becomes DEAD (announced, so subscribers get
``device.dead`` with the failing monitor and its last error). Then, when its policy says
``respawn`` and its template has not used up its respawns: DEAD → PENDING_UPDATE, the old
instance is deleted, a new one is created through the same driver (same template, kwargs and
VIM), and mgmt configures it and re-applies its service instances (``DeviceSpawned`` with
operation ``respawn``), after which ``device_configured`` makes it ACTIVE. With ``heal``
and the device a VNFC: its VNF's SOL003 heal, as an automatic op occ (``heal``). Otherwise
it stays DEAD and is announced lost (``device.lost``: the scheduler may move its service
instances). Healthy and DEAD: back to ACTIVE. A VNFC powered off by OPERATE is not dead.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.drivers import get_device_driver
from servicevm_lifecycle.flows.device_tasks import CREATE_FLOW, DELETE_FLOW, flow_state
from servicevm_lifecycle.handlers import _hand_to_mgmt, save_and_announce
from servicevm_lifecycle.health import decisions as rules
from servicevm_lifecycle.health.heal import Vnfc, heal_vnfc, powered_off, vnfc_of
from servicevm_lifecycle.health.metrics import RESPAWNS
from servicevm_lifecycle.health.tables import respawns
from servicevm_lifecycle.vims.credentials import NoVim
from shared.contracts import events
from shared.contracts.models import DeviceStatus, DeviceTemplateSnapshot
from shared.contracts.monitoring import MonitoringPolicy
from shared.db.uow import UnitOfWork
from shared.flows import FlowFailed, run_flow
from shared.messaging.dispatch import HandlerContext, HandlerTable
from shared.plugins import PluginNotFound

S = DeviceStatus
log = logging.getLogger(__name__)


# A respawn: the device (PENDING_UPDATE), its template, and the instance it replaces.
Respawn = tuple[Device, DeviceTemplateSnapshot, str | None]


async def device_health_changed(event: events.DeviceHealthChanged, ctx: HandlerContext) -> None:
    respawn: Respawn | None = None
    async with ctx.transaction() as uow:
        device = await repo.get_device(uow.conn, device_id=event.device_id, for_update=True)
        if device is not None:
            match rules.verdict(device.status, healthy=event.healthy):
                case rules.Verdict.MARK_DEAD if await powered_off(uow.conn, device.id):
                    log.info(
                        "a powered-off VNFC fails its monitors", extra={"device_id": str(device.id)}
                    )
                case rules.Verdict.MARK_DEAD:
                    respawn = await _mark_dead(uow, device, event, ctx.envelope.message_id)
                case rules.Verdict.RECOVERED:
                    await save_and_announce(uow, device.transition(S.ACTIVE))
                case rules.Verdict.IGNORE if device.status == S.PENDING_UPDATE:
                    # This very message started a respawn and lifecycle died during it.
                    respawn = await _interrupted(uow.conn, device, ctx.envelope.message_id)
                case rules.Verdict.IGNORE:
                    pass
        if respawn is None:
            await uow.record_processed(ctx.envelope)
        await uow.commit()
    if respawn is not None:
        await _respawn(ctx, *respawn)


async def _mark_dead(
    uow: UnitOfWork, device: Device, event: events.DeviceHealthChanged, message_id: uuid.UUID
) -> Respawn | None:
    """DEAD with the failing monitor's error; then what its policy says: a respawn (at
    once PENDING_UPDATE, counted, returned to be run), its VNF's heal (an automatic op
    occ, issued here), or nothing but ``device.lost`` (its instances may move)."""
    reason = rules.dead_reason(event.monitor, event.last_error)
    template = await repo.get_template(uow.conn, template_id=device.template_id)
    follow, note, vnfc = await _follow_up(uow.conn, device, template)
    dead = device.transition(S.DEAD, error_reason=reason + note)
    await save_and_announce(uow, dead)
    if follow in (rules.Follow.RESPAWN, rules.Follow.HEAL) and template is not None:
        await uow.conn.execute(
            insert(respawns).values(
                template_id=template.id,
                device_id=device.id,
                message_id=message_id,
                replaced_instance_id=device.instance_id,
            )
        )
    if follow is rules.Follow.HEAL and vnfc is not None:
        RESPAWNS.labels("healed").inc()
        await heal_vnfc(uow, dead, vnfc)
        return None
    if follow is not rules.Follow.RESPAWN or template is None:
        # Not replaced: the scheduler moves its service instances if their template says so.
        lost = events.DeviceLost(device=dead.snapshot(), reason=dead.error_reason or reason)
        await uow.publish(lost, tenant_id=dead.tenant_id)
        return None
    pending = dead.transition(S.PENDING_UPDATE, error_reason=dead.error_reason)
    await save_and_announce(uow, pending)
    return pending, template, device.instance_id


async def _follow_up(
    conn: AsyncConnection, device: Device, template: DeviceTemplateSnapshot | None
) -> tuple[rules.Follow, str, Vnfc | None]:
    """What follows the device's death, a note for its DEAD reason, and its VNFC if any."""
    policy = None if template is None else MonitoringPolicy.of(template.attributes, device.kwargs)
    if template is None or policy is None:
        return rules.Follow.NOTHING, "", None
    vnfc = await vnfc_of(conn, device.id) if policy.action == "heal" else None
    budget = rules.RespawnBudget(
        recent=await _recent_respawns(conn, template, policy),
        replaceable=_replaceable(template),
        vnfc=vnfc is not None,
    )
    follow = rules.follow_up(policy, budget)
    note = rules.follow_note(policy, follow, budget)
    if follow is rules.Follow.STOPPED:
        log.warning("respawning stopped", extra={"device_id": str(device.id)})
        RESPAWNS.labels("stopped").inc()
        note = rules.stopped_reason(note, policy)
    if follow is rules.Follow.HEAL and vnfc is not None and vnfc.busy_with is not None:
        note = f"; not healed: operation {vnfc.busy_with} of VNF {vnfc.vnf_id} is in progress"
        follow = rules.Follow.NOTHING
    return follow, note, vnfc


async def _interrupted(
    conn: AsyncConnection, device: Device, message_id: uuid.UUID
) -> Respawn | None:
    """The respawn this message started, if it did (then it is still to be finished: its
    last step records the message as processed)."""
    replaced = await conn.execute(
        select(respawns.c.replaced_instance_id).where(
            respawns.c.device_id == device.id, respawns.c.message_id == message_id
        )
    )
    row = replaced.first()
    template = await repo.get_template(conn, template_id=device.template_id)
    if row is None or template is None:
        return None
    log.warning("resuming an interrupted respawn", extra={"device_id": str(device.id)})
    return device, template, row.replaced_instance_id


async def _recent_respawns(
    conn: AsyncConnection, template: DeviceTemplateSnapshot, policy: MonitoringPolicy
) -> int:
    since = func.now() - timedelta(seconds=policy.respawn_window_seconds)
    query = select(func.count()).where(
        respawns.c.template_id == template.id, respawns.c.started_at > since
    )
    return int(await conn.scalar(query) or 0)


def _replaceable(template: DeviceTemplateSnapshot) -> bool:
    try:
        return bool(getattr(get_device_driver(template.device_driver), "replaceable", True))
    except PluginNotFound:
        return False


async def _respawn(
    ctx: HandlerContext, device: Device, template: DeviceTemplateSnapshot, replaced: str | None
) -> None:
    """Delete the old instance (best effort: it is dead), build a new one, hand it to mgmt.
    Resumed after a crash, each step looks at what was done: the old instance is deleted
    only while the device still names it, and a new one recorded already is not built
    again, so a respawn ends with exactly one new instance."""
    RESPAWNS.labels("started").inc()
    try:
        driver = get_device_driver(template.device_driver)
        if device.instance_id is not None and device.instance_id == replaced:
            old = await flow_state(ctx, driver, device, template)
            try:
                await run_flow(DELETE_FLOW, old)
            except FlowFailed as exc:
                log.warning("old instance not deleted", extra={"reason": exc.reason})
            device = replace(device, instance_id=None)
            async with ctx.transaction() as uow:
                await repo.save_device(uow.conn, device=device)
                await uow.commit()
        state = await flow_state(ctx, driver, device, template)
        await run_flow(CREATE_FLOW, state)
    except (FlowFailed, PluginNotFound, NoVim) as exc:
        RESPAWNS.labels("failed").inc()
        await _failed(ctx, device, f"respawn failed: {getattr(exc, 'reason', None) or exc}")
        return
    await _hand_to_mgmt(ctx, state.device, template, state, operation="respawn")


async def _failed(ctx: HandlerContext, device: Device, reason: str) -> None:
    """The final guard of a respawn: ERROR with the reason, and the device announced lost
    (no replacement is coming: the scheduler may move its service instances)."""
    log.warning("respawn failed", extra={"device_id": str(device.id), "reason": reason})
    async with ctx.transaction(final=True) as uow:
        current = await repo.get_device(uow.conn, device_id=device.id, for_update=True)
        if current is not None and current.can(S.ERROR):
            failed = current.transition(S.ERROR, error_reason=reason)
            await save_and_announce(uow, failed)
            lost = events.DeviceLost(device=failed.snapshot(), reason=reason)
            await uow.publish(lost, tenant_id=failed.tenant_id)
        await uow.commit()


HEALTH_HANDLERS: HandlerTable = {events.DeviceHealthChanged: device_health_changed}
