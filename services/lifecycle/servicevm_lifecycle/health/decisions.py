"""What a health verdict does to a device. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.contracts.models import DeviceStatus
from shared.contracts.monitoring import MonitoringPolicy

S = DeviceStatus


class Verdict(Enum):
    IGNORE = "ignore"  # the device is not in a state the verdict speaks to
    MARK_DEAD = "mark_dead"
    RECOVERED = "recovered"


class Follow(Enum):
    NOTHING = "nothing"
    RESPAWN = "respawn"
    STOPPED = "stopped"  # respawn wanted, but the template's limit is reached


@dataclass(frozen=True)
class RespawnBudget:
    recent: int  # respawns of the template within its window
    replaceable: bool  # the driver can build a new instance (a physical device cannot)


def verdict(status: str, *, healthy: bool) -> Verdict:
    if not healthy and status == S.ACTIVE:
        return Verdict.MARK_DEAD
    if healthy and status == S.DEAD:
        return Verdict.RECOVERED
    return Verdict.IGNORE


def follow_up(policy: MonitoringPolicy | None, budget: RespawnBudget) -> Follow:
    """After a device became DEAD: replace it, or not, or say respawning stopped."""
    if policy is None or policy.action != "respawn" or not budget.replaceable:
        return Follow.NOTHING
    if budget.recent >= policy.respawn_limit:
        return Follow.STOPPED
    return Follow.RESPAWN


def dead_reason(monitor: str | None, last_error: str | None) -> str:
    return f"health monitor {monitor or 'unknown'} failed: {last_error or 'no detail'}"


def stopped_reason(reason: str | None, policy: MonitoringPolicy) -> str:
    return (
        f"{reason or 'dead'}; respawning stopped: {policy.respawn_limit} respawns of its "
        f"template within {policy.respawn_window_seconds:g}s"
    )
