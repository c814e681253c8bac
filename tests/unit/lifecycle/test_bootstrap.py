"""lifecycle's wiring: its jobs and VIM checks are built per service definition, not held in
module globals."""

from __future__ import annotations

from types import MethodType

from servicevm_lifecycle.bootstrap import build_definition
from servicevm_lifecycle.jobs.vim_rechecks import PendingVimRechecks
from servicevm_lifecycle.vims.checker import VimChecks
from servicevm_lifecycle.vims.handlers import VimHandlers
from shared.contracts import commands
from shared.runtime import ServiceDefinition


def _checks(definition: ServiceDefinition) -> tuple[VimChecks, VimChecks]:
    """The VimChecks the RegisterVim handler schedules on, and the re-check job's."""
    handler = definition.handlers[commands.RegisterVim]
    assert isinstance(handler, MethodType)
    owner = handler.__self__
    assert isinstance(owner, VimHandlers)
    (job,) = [job for job in definition.background if isinstance(job, PendingVimRechecks)]
    return owner.checks, job.checks


def test_the_vim_handlers_and_the_recheck_job_share_one_vimchecks() -> None:
    by_handlers, by_job = _checks(build_definition())
    assert by_handlers is by_job


def test_each_definition_builds_its_own_vimchecks() -> None:
    first, _ = _checks(build_definition())
    second, _ = _checks(build_definition())
    assert first is not second
