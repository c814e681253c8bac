"""``--wait``: poll one resource with a Rich status line until it settles.

A goal names the statuses that end the wait well and badly; ``None`` (the resource is gone,
404) is the goal of a delete. What a poll means is decided by ``verdict``, a pure function.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from servicevm_cli import output
from servicevm_cli.errors import WaitFailed, WaitTimeout

POLL_SECONDS = 0.5


class Verdict(Enum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class Goal:
    success: frozenset[str]  # statuses that end the wait well
    failure: frozenset[str]  # statuses that end it with exit code 3
    gone: bool = False  # the wait ends well when the resource is gone (404)


ACTIVE = Goal(frozenset({"ACTIVE"}), frozenset({"ERROR"}))
DELETED = Goal(frozenset(), frozenset({"ERROR"}), gone=True)
REACHABLE = Goal(frozenset({"REACHABLE"}), frozenset({"UNREACHABLE"}))


def verdict(item: dict[str, Any] | None, goal: Goal) -> Verdict:
    if item is None:
        # Gone while waiting for ACTIVE is a failure too: nothing will ever be ACTIVE.
        return Verdict.DONE if goal.gone else Verdict.FAILED
    status = str(item.get("status", ""))
    if status in goal.success:
        return Verdict.DONE
    if status in goal.failure:
        return Verdict.FAILED
    return Verdict.PENDING


def describe(label: str, item: dict[str, Any] | None) -> str:
    if item is None:
        return f"{label} is gone"
    reason = item.get("error_reason") or item.get("status_reason")
    status = item.get("status", "?")
    return f"{label} is {status}" + (f": {reason}" if reason else "")


def wait_for(
    fetch: Callable[[], dict[str, Any] | None],
    *,
    label: str,
    goal: Goal,
    timeout: float,
    poll: float = POLL_SECONDS,
) -> dict[str, Any] | None:
    """The resource once it meets ``goal`` (None when gone); WaitFailed or WaitTimeout."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    with output.stderr().status(f"waiting for {label}") as display:
        while True:
            item = fetch()
            state = verdict(item, goal)
            if state is Verdict.DONE:
                return item
            if state is Verdict.FAILED:
                raise WaitFailed(describe(label, item))
            if time.monotonic() >= deadline:
                raise WaitTimeout(f"Timed out after {timeout:g}s: {describe(label, item)}.")
            elapsed = time.monotonic() - started
            display.update(f"{describe(label, item)} ({elapsed:.0f}s)")
            time.sleep(poll)
