"""The background job that asks the external NFVO for the grants ops wait for.

Every ``nfvo_grant_poll_seconds`` it claims the ops waiting for a grant (a short
transaction), asks or polls the NFVO for each outside any transaction (httpx, async), and
applies each answer in a transaction that first checks the op still waits for that grant
(a CANCEL or a FAIL may have ended it meanwhile). A lifecycle that crashes mid-ask leaves
a claim that runs out: another replica, or the restarted one, asks again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain import grants
from servicevm_lifecycle.vnflcm.domain.model import Vnf
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from servicevm_lifecycle.vnflcm.grants import outcome, store
from servicevm_lifecycle.vnflcm.grants.store import ASKING
from servicevm_lifecycle.vnflcm.progress import now
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.nfvo import GrantAnswer, NfvoClient, NfvoRefused, NfvoUnavailable, configured
from shared.observability.metrics import NFVO_GRANTS

log = logging.getLogger(__name__)
# One ask (a token and a request, each bounded by nfvo_timeout_seconds) is given this many
# timeouts in all.
ASK_BOUND = 2


@dataclass(frozen=True)
class _Asked:
    """What the NFVO said: a GrantAnswer, a refusal (ProblemDetails) or why it is away."""

    answer: GrantAnswer | None = None
    refusal: dict[str, Any] | None = None
    away: str | None = None


async def ask_nfvo_for_grants(service_store: ServiceStore, settings: Settings) -> None:
    if not configured(settings):
        return  # grants are given locally
    async with NfvoClient(settings) as nfvo:
        while True:
            try:
                await grant_once(service_store, settings, nfvo)
            except Exception:
                log.warning("asking the NFVO for grants failed; trying again", exc_info=True)
            await asyncio.sleep(settings.nfvo_grant_poll_seconds)


async def grant_once(service_store: ServiceStore, settings: Settings, nfvo: NfvoClient) -> int:
    """Ask (or poll) for every claimable op's grant; how many were asked."""
    at = now()
    # Longer than one ask may take (_ask bounds it), so two workers never ask at once.
    hold = timedelta(seconds=ASK_BOUND * settings.nfvo_timeout_seconds + 1)
    async with service_store.engine.begin() as conn:
        claimed = await store.claim_due(conn, now=at, until=at + hold)
    await asyncio.gather(
        *(_ask_one(service_store, settings, nfvo, vnf_id, op_id) for vnf_id, op_id in claimed)
    )
    return len(claimed)


async def _ask_one(
    service_store: ServiceStore,
    settings: Settings,
    nfvo: NfvoClient,
    vnf_id: uuid.UUID,
    op_id: uuid.UUID,
) -> None:
    async with service_store.engine.connect() as conn:
        vnf = await repo.get_vnf(conn, vnf_id=vnf_id)
        op = await repo.get_op(conn, op_id=op_id)
    if vnf is None or op is None or op.grant is None:
        return
    asked = await _ask(settings, nfvo, vnf, op)
    async with service_store.unit_of_work(f"req-nfvo-grant-{op_id}") as uow:
        vnf = await repo.get_vnf(uow.conn, vnf_id=vnf_id, for_update=True)
        current = await repo.get_op(uow.conn, op_id=op_id, for_update=True)
        if vnf is None or current is None or not _still_waiting(current, op):
            await store.hold(uow.conn, op_id=op_id, until=None)
            await uow.commit()
            return
        until = None
        if asked.answer is not None and asked.answer.grant is not None:
            result = "granted"
            await outcome.granted(uow, vnf, current, asked.answer.grant)
        elif asked.answer is not None and asked.answer.location is not None:
            result = "pending"
            await outcome.polling(uow, current, asked.answer.location)
            until = now() + timedelta(seconds=settings.nfvo_grant_poll_seconds)
        elif asked.refusal is not None:
            result = "refused"
            await outcome.refused(uow, vnf, current, asked.refusal)
        else:
            result = "unavailable"
            await outcome.unavailable(uow, vnf, current, asked.away or "the NFVO did not answer")
        await store.hold(uow.conn, op_id=op_id, until=until)
        await uow.commit()
    NFVO_GRANTS.labels(result).inc()
    log.info("NFVO grant answered", extra={"op_occ_id": str(op_id), "outcome": result})


async def _ask(settings: Settings, nfvo: NfvoClient, vnf: Vnf, op: OpOcc) -> _Asked:
    bound = ASK_BOUND * settings.nfvo_timeout_seconds
    try:
        async with asyncio.timeout(bound):
            return await _ask_unbounded(settings, nfvo, vnf, op)
    except TimeoutError:
        return _Asked(away=f"the NFVO did not answer within {bound:.0f}s")


async def _ask_unbounded(settings: Settings, nfvo: NfvoClient, vnf: Vnf, op: OpOcc) -> _Asked:
    assert op.grant is not None
    try:
        if op.grant.status == "POLLING" and op.grant.location:
            if outcome.overdue(op, now(), settings.nfvo_grant_wait_seconds):
                wait = settings.nfvo_grant_wait_seconds
                return _Asked(away=f"the NFVO did not decide the grant within {wait:.0f}s")
            return _Asked(answer=await nfvo.poll_grant(op.grant.location))
        return _Asked(answer=await nfvo.request_grant(_request(settings, vnf, op)))
    except NfvoRefused as exc:
        return _Asked(refusal=exc.problem)
    except NfvoUnavailable as exc:
        log.warning("NFVO unavailable", extra={"op_occ_id": str(op.id), "reason": str(exc)})
        return _Asked(away=str(exc))


def _request(settings: Settings, vnf: Vnf, op: OpOcc) -> dict[str, Any]:
    flavour = op.target.flavour or vnf.flavour
    flavour_vnfd = None if flavour is None else (flavour.vnfd_id, flavour.flavour.flavour_id)
    api_url = settings.vnfm_public_url or f"http://{settings.bind_host}:{settings.api_port}"
    return grants.request_body(
        op_id=op.id,
        operation=op.operation,
        is_automatic_invocation=op.is_automatic_invocation,
        vnf=vnf,
        steps=grants.remaining(op.steps),
        params=op.operation_params,
        flavour_vnfd=flavour_vnfd,
        api_url=api_url.rstrip("/"),
    )


def _still_waiting(current: OpOcc, asked: OpOcc) -> bool:
    """The op is still waiting for the grant that was asked (same status and location)."""
    return (
        current.state in ASKING
        and current.grant is not None
        and asked.grant is not None
        and not current.grant.granted
        and current.grant.status == asked.grant.status
        and current.grant.location == asked.grant.location
    )
