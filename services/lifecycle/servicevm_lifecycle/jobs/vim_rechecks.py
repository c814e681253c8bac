"""Periodic job: a VIM left PENDING (its check died with a process) is checked again."""

from __future__ import annotations

import uuid

from servicevm_lifecycle.vims import repository as vim_repo
from servicevm_lifecycle.vims.checker import VimChecks
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every


class PendingVimRechecks:
    """Hands PENDING VIMs to the same VimChecks the handlers use, so a VIM being checked
    already is not checked twice at once."""

    def __init__(self, checks: VimChecks) -> None:
        self.checks = checks

    async def __call__(self, store: ServiceStore, settings: Settings) -> None:
        await every(
            settings.reconcile_interval_seconds,
            lambda: self.recheck_once(store),
            job="looking for unchecked VIMs",
        )

    async def recheck_once(self, store: ServiceStore) -> None:
        async with store.engine.connect() as conn:
            pending = await vim_repo.pending_vims(conn)
        for vim_id in pending:
            self.checks.schedule(store, vim_id, f"req-vim-recheck-{uuid.uuid4()}")
