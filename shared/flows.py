"""Multi-step external work as a flow of tasks, each able to undo its own work.

As in Octavia's task flows: a task's ``revert`` runs only if its ``execute`` completed,
undoes just that task's work, and never raises (a failed revert is logged). When a task
fails, the tasks already done are reverted in reverse order and FlowFailed carries the
reason; the caller's final guard then marks the resource ERROR.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

StateT = TypeVar("StateT")


class FlowFailed(Exception):
    def __init__(self, task: str, reason: str) -> None:
        super().__init__(f"{task}: {reason}")
        self.task = task
        self.reason = reason


class Task(ABC, Generic[StateT]):
    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    async def execute(self, state: StateT) -> None: ...

    async def revert(self, state: StateT) -> None:
        """Undo what ``execute`` did. Must not raise."""


async def run_flow(tasks: Sequence[Task[StateT]], state: StateT) -> None:
    done: list[Task[StateT]] = []
    for task in tasks:
        try:
            await task.execute(state)
        except Exception as exc:
            log.warning("flow task failed; reverting", extra={"task": task.name, "error": str(exc)})
            await _revert(reversed(done), state)
            raise FlowFailed(task.name, str(exc) or exc.__class__.__name__) from exc
        done.append(task)


async def _revert(tasks: Iterable[Task[StateT]], state: StateT) -> None:
    for task in tasks:
        try:
            await task.revert(state)
        except Exception:
            log.exception("revert failed; continuing with the others", extra={"task": task.name})
