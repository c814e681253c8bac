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
    HEAL = "heal"  # the SOL003 heal of the VNF whose VNFC the device is
    STOPPED = "stopped"  # respawn or heal wanted, but the template's limit is reached


@dataclass(frozen=True)
class RespawnBudget:
    recent: int  # respawns (and heals) of the template within its window
    replaceable: bool  # the driver can build a new instance (a physical device cannot)
    vnfc: bool = False  # the device is a VNFC of a VNF instance


def verdict(status: str, *, healthy: bool) -> Verdict:
    if not healthy and status == S.ACTIVE:
        return Verdict.MARK_DEAD
    if healthy and status == S.DEAD:
        return Verdict.RECOVERED
    return Verdict.IGNORE


def follow_up(policy: MonitoringPolicy | None, budget: RespawnBudget) -> Follow:
    """After a device became DEAD: replace it (respawn, or heal its VNF when it is a VNFC),
    or not, or say replacing stopped. ``heal`` of a device that is no VNFC falls back to
    respawn."""
    if policy is None or policy.action == "none":
        return Follow.NOTHING
    wanted = Follow.HEAL if policy.action == "heal" and budget.vnfc else Follow.RESPAWN
    if wanted is Follow.RESPAWN and not budget.replaceable:
        return Follow.NOTHING
    return Follow.STOPPED if budget.recent >= policy.respawn_limit else wanted


def follow_note(policy: MonitoringPolicy | None, follow: Follow, budget: RespawnBudget) -> str:
    """What the DEAD reason adds about the follow-up, when it is not what was asked."""
    if policy is not None and policy.action == "heal" and not budget.vnfc:
        if follow is Follow.RESPAWN:
            return "; not a VNFC: heal falls back to respawn"
        if follow is Follow.NOTHING:
            return "; not a VNFC and not replaceable: not healed"
    return ""


def dead_reason(monitor: str | None, last_error: str | None) -> str:
    return f"health monitor {monitor or 'unknown'} failed: {last_error or 'no detail'}"


def stopped_reason(note: str, policy: MonitoringPolicy) -> str:
    return (
        f"{note}; respawning stopped: {policy.respawn_limit} respawns of its "
        f"template within {policy.respawn_window_seconds:g}s"
    )
