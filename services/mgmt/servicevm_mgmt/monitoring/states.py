"""Judging probe results: consecutive failures against a threshold. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class MonitorState:
    consecutive_failures: int = 0
    healthy: bool = True
    last_error: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    latency_seconds: float
    error: str | None = None


def after_probe(state: MonitorState, result: ProbeResult, *, threshold: int) -> MonitorState:
    """One success makes a monitor healthy again; ``threshold`` failures in a row unhealthy."""
    if result.ok:
        return MonitorState(consecutive_failures=0, healthy=True, last_error=None)
    failures = state.consecutive_failures + 1
    return replace(
        state,
        consecutive_failures=failures,
        healthy=state.healthy and failures < threshold,
        last_error=result.error,
    )


def device_healthy(states: Iterable[MonitorState]) -> bool:
    """A device is healthy while every one of its monitors is."""
    return all(state.healthy for state in states)


def health_change(before: Iterable[MonitorState], after: Iterable[MonitorState]) -> bool | None:
    """The device's new health when it changed (False: became unhealthy), else None."""
    was, now = device_healthy(before), device_healthy(after)
    return None if was == now else now
