"""The events mgmt turns into SOL003 notifications, one transaction each (the inbox row,
mgmt's records, the AMQP outbox rows and the HTTP deliveries commit together).

- ``vnf_instance.created`` / ``vnf_instance.deleted`` (the api): VnfIdentifierCreation /
  DeletionNotification; mgmt keeps the instance's identity for the filters meanwhile.
- ``vnf_lcm_op_occ.started`` (the api): START (and, for MODIFY_INFO, which the api
  completes at once, its RESULT).
- ``vnf_lcm_op_occ.changed`` (lifecycle): RESULT when the op occ entered a state not yet
  notified. The op occ's notice row is locked first, so the notifications of one op occ
  are written one after another, in the order of their deliveries, whichever replica
  handles them; a snapshot older than the one notified (a redelivery that overtook its
  successor) is not notified at all rather than out of order. A change whose START was
  not seen yet gets its START first.
"""

from __future__ import annotations

from typing import Literal

from servicevm_mgmt.sol003 import records
from servicevm_mgmt.sol003.fanout import may_have_subscribers, publish
from servicevm_mgmt.sol003.filters import Subject
from servicevm_mgmt.sol003.notices import identifier_notification, op_notification
from shared.config import get_settings
from shared.contracts.vnflcm import (
    VnfIdentifierCreated,
    VnfIdentifierDeleted,
    VnfIdentity,
    VnfLcmOpOccChanged,
    VnfLcmOpOccSnapshot,
    VnfLcmOpOccStarted,
)
from shared.db.uow import UnitOfWork
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable

IdentifierType = Literal["VnfIdentifierCreationNotification", "VnfIdentifierDeletionNotification"]


@one_transaction()
async def vnf_instance_created(event: VnfIdentifierCreated, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await records.keep_identity(uow.conn, event.vnf_instance)
        await _identifier(uow, ctx, "VnfIdentifierCreationNotification", event.vnf_instance)
        await uow.commit()


@one_transaction()
async def vnf_instance_deleted(event: VnfIdentifierDeleted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await _identifier(uow, ctx, "VnfIdentifierDeletionNotification", event.vnf_instance)
        await records.forget_instance(uow.conn, event.vnf_instance.id)
        await uow.commit()


async def _identifier(
    uow: UnitOfWork, ctx: HandlerContext, kind: IdentifierType, identity: VnfIdentity
) -> None:
    notification = identifier_notification(
        kind, identity.id, at=ctx.envelope.timestamp, base_url=get_settings().api_base_url()
    )
    subject = Subject(kind, str(identity.id), identity)
    await publish(uow, notification, tenant_id=identity.tenant_id, subject=subject)


@one_transaction()
async def vnf_lcm_op_occ_started(event: VnfLcmOpOccStarted, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await _notify_op(uow, ctx, [event.op_occ], event.vnf_instance, keep_identity=True)
        await uow.commit()


@one_transaction()
async def vnf_lcm_op_occ_changed(event: VnfLcmOpOccChanged, ctx: HandlerContext) -> None:
    op = event.op_occ
    async with ctx.transaction(final=True) as uow:
        # The instance's identity only matters to the filters of SOL003 subscriptions.
        identity = (
            await records.identity_of(uow.conn, op.vnf_instance_id)
            if await may_have_subscribers(uow.conn, tenant_id=op.tenant_id)
            else None
        )
        # Every state the op went through in lifecycle's transaction, in order.
        await _notify_op(uow, ctx, [*event.passed, op], identity)
        await uow.commit()


async def _notify_op(
    uow: UnitOfWork,
    ctx: HandlerContext,
    states: list[VnfLcmOpOccSnapshot],
    identity: VnfIdentity | None,
    *,
    keep_identity: bool = False,
) -> None:
    """The notifications of an op's states, oldest first (one op), each once: the op's
    notice row remembers the last state notified. ``keep_identity``: the VNF's identity is
    kept (``records.keep_identity``) by the statement that locks the notice."""
    first = states[0]
    # What an op not seen before notifies: its START, then its states, as ``_results``.
    results, if_made = _results(records.UNSEEN, states)
    notice = await records.lock_notice(
        uow.conn,
        op_occ_id=first.id,
        vnf_instance_id=first.vnf_instance_id,
        if_made=if_made,
        identity=identity if keep_identity else None,
    )
    if notice is None:  # made now, holding ``if_made`` already
        await _op(uow, ctx, first, "START", identity)
    else:
        results, notified = _results(notice, states)
        if notified != notice:  # else a re-announcement or an older snapshot: nothing new
            await records.set_notice(
                uow.conn,
                op_occ_id=first.id,
                operation_state=notified.operation_state,
                revision=notified.revision,
            )
    for op in results:
        await _op(uow, ctx, op, "RESULT", identity)


def _results(
    notice: records.Notice, states: list[VnfLcmOpOccSnapshot]
) -> tuple[list[VnfLcmOpOccSnapshot], records.Notice]:
    """The states to notify as RESULTs after ``notice`` (each a state other than the last
    notified, at a later revision), and the notice once they are."""
    last_state, last_revision = notice.operation_state, notice.revision
    results = []
    for op in states:
        if op.operation_state != last_state and op.revision > last_revision:
            results.append(op)
            last_state = op.operation_state
        last_revision = max(last_revision, op.revision)
    return results, records.Notice(last_state, last_revision)


async def _op(
    uow: UnitOfWork,
    ctx: HandlerContext,
    op: VnfLcmOpOccSnapshot,
    status: Literal["START", "RESULT"],
    identity: VnfIdentity | None,
) -> None:
    notification = op_notification(
        op, status, at=ctx.envelope.timestamp, base_url=get_settings().api_base_url()
    )
    subject = Subject(
        notification.notificationType,
        str(op.vnf_instance_id),
        identity,
        operation=op.operation,
        operation_state=notification.operationState,
    )
    await publish(uow, notification, tenant_id=op.tenant_id, subject=subject)


SOL003_HANDLERS: HandlerTable = {
    VnfIdentifierCreated: vnf_instance_created,
    VnfIdentifierDeleted: vnf_instance_deleted,
    VnfLcmOpOccStarted: vnf_lcm_op_occ_started,
    VnfLcmOpOccChanged: vnf_lcm_op_occ_changed,
}
