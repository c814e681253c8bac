"""Applying the NFVO's answer to the op that asked, in the caller's transaction.

Each function takes the op as it is now (locked, still waiting for this grant) and moves it
on: granted -> the plan runs (PROCESSING), refused -> ROLLED_BACK with the NFVO's reason,
unreachable -> FAILED_TEMP (a RETRY asks again), 202 -> polling at the Location. A RETRY of
work that was granted and failed asks again too: refused or unreachable, it goes back to
FAILED_TEMP with its plan as before the retry (``opocc.undo_retry``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import vims
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.grants import Grant, granted_vim_ids, granted_zones
from servicevm_lifecycle.vnflcm.domain.model import Vnf
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc, problem
from servicevm_lifecycle.vnflcm.progress import finish, now, op_timeout, run_plan
from shared.db.uow import UnitOfWork


async def granted(uow: UnitOfWork, vnf: Vnf, op: OpOcc, answer: dict[str, Any]) -> None:
    """The plan runs, its new devices in the granted zones and VIM."""
    assert op.grant is not None
    vim_id = await _our_vim(uow.conn, vnf.tenant_id, granted_vim_ids(answer))
    earlier = op.grant.earlier_grant_ids
    if op.grant.grant_id is not None:  # a RETRY's new grant: the first one is kept on record
        earlier = (*earlier, op.grant.grant_id)
    grant = replace(
        op.grant,
        status="GRANTED",
        grant_id=str(answer["id"]),
        location=None,
        vim_id=vim_id,
        zones=granted_zones(answer),
        retrying=None,
        earlier_grant_ids=earlier,
    )
    with_grant = replace(op, grant=grant)
    if op.operation == "INSTANTIATE" and vim_id is not None and op.target.vim_id is None:
        # The VNF's VIM from now on (a VIM the request named wins); other ops' new devices
        # go to the granted VIM only if the VNF has none (steps.issue).
        with_grant = replace(with_grant, target=replace(op.target, vim_id=vim_id))
    at = now()
    starting = op.state == st.STARTING
    if starting:
        processing = with_grant.enter(st.PROCESSING, at, deadline=at + op_timeout())
    else:
        processing = with_grant
    running, issued = opocc.advance(processing, at)
    await run_plan(uow, vnf, processing, running, issued, announce_before=starting)


async def polling(uow: UnitOfWork, op: OpOcc, location: str) -> None:
    assert op.grant is not None
    asked_at = op.grant.asked_at or now()
    grant = replace(op.grant, status="POLLING", location=location, asked_at=asked_at)
    await repo.save_op(uow.conn, op=replace(op, grant=grant))


async def refused(uow: UnitOfWork, vnf: Vnf, op: OpOcc, reason: dict[str, Any]) -> None:
    """ROLLED_BACK with the NFVO's ProblemDetails: nothing was done before the grant."""
    at = now()
    error = problem(
        str(reason.get("title") or "Grant rejected"),
        f"the NFVO refused the grant: {reason.get('detail')}",
        int(reason.get("status") or 403),
    )
    if op.state == st.STARTING:
        ended = op.enter(st.ROLLED_BACK, at, error=error)
    elif op.grant is not None and op.grant.retrying is not None:
        # A RETRY of granted work that failed: that work stands, the op goes back to
        # FAILED_TEMP as it was (rollback or fail are the user's to choose).
        ended = opocc.undo_retry(op).enter(st.FAILED_TEMP, at, error=error)
    else:  # asked again on a RETRY: PROCESSING has only the way through FAILED_TEMP.
        failed = op.enter(st.FAILED_TEMP, at, error=error)
        ended = opocc.rollback(failed, at, op_timeout()).enter(st.ROLLED_BACK, at, error=error)
    await finish(uow, vnf, op, ended)


async def unavailable(uow: UnitOfWork, vnf: Vnf, op: OpOcc, reason: str) -> None:
    """FAILED_TEMP: a RETRY asks the NFVO again (from scratch: an async grant it may have
    lost while down is asked anew)."""
    at = now()
    error = problem("NFVO unavailable", reason, 503)
    if op.grant is not None and op.grant.retrying is not None:
        # A RETRY of granted work: back as it was before the retry; the next one asks.
        await finish(uow, vnf, op, opocc.undo_retry(op).enter(st.FAILED_TEMP, at, error=error))
        return
    current = replace(op, grant=Grant())
    if op.state == st.STARTING:
        # PROCESSING, then FAILED_TEMP: both in one message.
        processing = current.enter(st.PROCESSING, at, deadline=at + op_timeout())
        failed = processing.enter(st.FAILED_TEMP, at, error=error)
        await finish(uow, vnf, processing, failed, announce_before=True)
        return
    await finish(uow, vnf, op, current.enter(st.FAILED_TEMP, at, error=error))


def overdue(op: OpOcc, at: datetime, wait_seconds: float) -> bool:
    """An asynchronous grant the NFVO has not decided in time."""
    asked = op.grant.asked_at if op.grant is not None else None
    return asked is not None and (at - asked).total_seconds() > wait_seconds


async def _our_vim(
    conn: AsyncConnection, tenant_id: str, candidates: list[uuid.UUID]
) -> uuid.UUID | None:
    """The first granted VIM that is one of this project's VIMs here (else: ours decide)."""
    if not candidates:
        return None
    rows = await conn.execute(
        select(vims.c.id).where(vims.c.id.in_(candidates), vims.c.tenant_id == tenant_id)
    )
    known = {row.id for row in rows}
    return next((c for c in candidates if c in known), None)
