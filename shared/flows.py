"""Multi-step external work as a flow of tasks, each able to undo its own work.

As in Octavia's task flows: a task's ``revert`` runs only if its ``execute`` completed,
undoes just that task's work, and never raises (a failed revert is logged). When a task
fails, the tasks already done are reverted in reverse order and FlowFailed carries the
reason; the caller's final guard then marks the resource ERROR.

Two failures are not the task's to judge, and revert nothing: Abandon (the operation's
lease was taken over by another replica, or a server the step needs stayed away past the
step's retries, StepPostponed) stops the flow where it is; the operation is resumed later
from what the database says was done. A step's own database work is retried in place
through ``retrying`` when the failure is transient (a connection cut, a serialization
failure, the server shutting down), so a short Postgres blip does not fail the device.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

from shared.messaging.errors import is_transient

log = logging.getLogger(__name__)

StateT = TypeVar("StateT")
T = TypeVar("T")
# How long a step retries its database work through a blip before postponing the operation.
STEP_RETRY_SECONDS = 30.0
FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 2.0


class Abandon(Exception):
    """Stop the flow where it is and revert nothing: the operation is resumed later."""


class StepPostponed(Abandon):
    """A server the step needs stayed away past its retries (the cause says which): the
    message is retried later, and the flow resumes from what was recorded."""


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
        except Abandon:
            raise
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


async def retrying(
    operation: Callable[[], Awaitable[T]], *, what: str, budget: float = STEP_RETRY_SECONDS
) -> T:
    """Run a step's database work (its own transaction) again while it fails transiently,
    for up to ``budget`` seconds; then StepPostponed. Other failures pass through."""
    deadline = time.monotonic() + budget
    delay = FIRST_RETRY_DELAY
    while True:
        try:
            return await operation()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise StepPostponed(f"{what}: database unavailable ({exc!r})") from exc
            log.warning(
                "transient database failure in a step; retrying",
                extra={"step": what, "retry_in": delay, "error": repr(exc)},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_DELAY)
