"""Every operation the api accepted, and how it ended: the figures a chaos run is judged by.

An accepted operation ends as exactly one of:

- ``completed``: the resource reached the state the operation asked for;
- ``failed``: it ended in ERROR (or a failed SOL003 operation) with a reason given;
- ``lost``: it ended with no trace of the operation: the resource vanished although nobody
  deleted it, an update left the old values in ACTIVE, a delete left the device ACTIVE, or
  it ended in ERROR with no reason;
- ``stuck``: still pending when its deadline passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["completed", "failed", "lost", "stuck"]
OUTCOMES: tuple[Outcome, ...] = ("completed", "failed", "lost", "stuck")
POLL_SECONDS = 0.5


@dataclass
class Operation:
    kind: str  # "device.create noop", "vnf.instantiate", ...
    resource: str
    accepted_at: float = field(default_factory=time.monotonic)
    outcome: Outcome | None = None
    reason: str = ""
    finished_at: float | None = None

    def end(self, outcome: Outcome, reason: str = "") -> Outcome:
        self.outcome, self.reason, self.finished_at = outcome, reason, time.monotonic()
        return outcome


# Looks at the resource once: an outcome, or None while it is still pending.
Probe = Callable[[], Awaitable[tuple[Outcome, str] | None]]


@dataclass
class Ledger:
    deadline_seconds: float
    operations: list[Operation] = field(default_factory=list)

    def accept(self, kind: str, resource: str) -> Operation:
        operation = Operation(kind, resource)
        self.operations.append(operation)
        return operation

    async def settle(self, operation: Operation, probe: Probe) -> Outcome:
        """Polls until the probe gives an outcome or the deadline passes (stuck)."""
        deadline = operation.accepted_at + self.deadline_seconds
        while time.monotonic() < deadline:
            seen = await probe()
            if seen is not None:
                return operation.end(*seen)
            await asyncio.sleep(POLL_SECONDS)
        return operation.end("stuck", f"still pending after {self.deadline_seconds:.0f}s")

    def count(self, outcome: Outcome | None) -> int:
        return sum(1 for op in self.operations if op.outcome == outcome)

    def examples(self, outcome: Outcome, limit: int = 5) -> list[Operation]:
        return [op for op in self.operations if op.outcome == outcome][:limit]
