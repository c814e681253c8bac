"""Checking VIMs beside the consumer, not inside it.

A check talks to a cloud and may take up to ``vim_check_timeout_seconds``; run inside a
handler, a burst of registrations against slow clouds would hold the consumer's prefetch
slots and delay every device operation. So a handler records the VIM (PENDING) and commits,
and the check runs here: at most ``vim_max_concurrency`` at once, one per VIM at a time. A
check lost to a crash is not lost for good: the VIM is still PENDING, and the periodic job
``jobs.vim_rechecks`` schedules it again.

One VimChecks per process, built in ``bootstrap`` and given to the handlers and the job.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from servicevm_lifecycle.vims import checks
from servicevm_lifecycle.vims import repository as vim_repo
from servicevm_lifecycle.vims.credentials import credentials
from shared.config import get_settings
from shared.contracts import events
from shared.contracts.models import VimStatus
from shared.messaging.dispatch import ServiceStore
from shared.secrets import SecretError, get_cipher

log = logging.getLogger(__name__)


class VimChecks:
    def __init__(self) -> None:
        self._running: set[uuid.UUID] = set()
        # Referenced until done, so the event loop does not drop a running check.
        self._tasks: set[asyncio.Task[None]] = set()
        # Made in the running loop, at the first check.
        self._slots: asyncio.Semaphore | None = None

    def schedule(self, store: ServiceStore, vim_id: uuid.UUID, correlation_id: str) -> None:
        if vim_id in self._running:
            return
        self._running.add(vim_id)
        task = asyncio.create_task(self._run(store, vim_id, correlation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, store: ServiceStore, vim_id: uuid.UUID, correlation_id: str) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(get_settings().vim_max_concurrency)
        try:
            async with self._slots:
                await check_and_announce(store, vim_id, correlation_id)
        except Exception:
            log.warning("VIM check failed; it is tried again later", exc_info=True)
        finally:
            self._running.discard(vim_id)


async def check_and_announce(store: ServiceStore, vim_id: uuid.UUID, correlation_id: str) -> None:
    """Check the VIM (Keystone authentication and catalog), record and announce the outcome."""
    settings = get_settings()
    async with store.unit_of_work(correlation_id) as uow:
        row = await vim_repo.get_vim(uow.conn, vim_id=vim_id)
    if row is None:
        return  # deleted meanwhile
    try:
        vim = credentials(row, get_cipher(settings))
    except SecretError as exc:
        reason: str | None = f"credentials unusable: {exc}"
    else:
        reason = await checks.check(vim, within=settings.vim_check_timeout_seconds)
    status = VimStatus.REACHABLE if reason is None else VimStatus.UNREACHABLE
    log.info("VIM checked", extra={"vim_id": str(vim_id), "status": status, "reason": reason})
    async with store.unit_of_work(correlation_id) as uow:
        revision = await vim_repo.set_status(uow.conn, vim_id=vim_id, status=status, reason=reason)
        if revision is not None:
            changed = events.VimStatusChanged(
                vim_id=vim_id,
                tenant_id=row.tenant_id,
                status=status,
                status_reason=reason,
                revision=revision,
            )
            await uow.publish(changed, tenant_id=row.tenant_id)
        await uow.commit()
