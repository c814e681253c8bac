"""What a health verdict does: DEAD, ACTIVE again, respawn within the template's limit."""

from __future__ import annotations

from servicevm_lifecycle.health.decisions import (
    Follow,
    RespawnBudget,
    Verdict,
    follow_note,
    follow_up,
    verdict,
)
from shared.contracts.monitoring import MonitoringPolicy

RESPAWN = MonitoringPolicy.parse(
    {"monitors": [{"type": "ping"}], "action": "respawn", "respawn_limit": 2}
)


def test_only_an_active_device_dies_and_only_a_dead_one_recovers() -> None:
    assert verdict("ACTIVE", healthy=False) is Verdict.MARK_DEAD
    assert verdict("DEAD", healthy=True) is Verdict.RECOVERED
    for status in ("PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "ERROR"):
        assert verdict(status, healthy=False) is Verdict.IGNORE
        assert verdict(status, healthy=True) is Verdict.IGNORE
    assert verdict("ACTIVE", healthy=True) is Verdict.IGNORE


def test_respawn_within_the_limit_then_stop() -> None:
    assert follow_up(RESPAWN, RespawnBudget(recent=1, replaceable=True)) is Follow.RESPAWN
    assert follow_up(RESPAWN, RespawnBudget(recent=2, replaceable=True)) is Follow.STOPPED


def test_no_respawn_without_the_action_or_for_a_physical_device() -> None:
    mark_only = MonitoringPolicy.parse({"action": "none"})
    assert follow_up(mark_only, RespawnBudget(recent=0, replaceable=True)) is Follow.NOTHING
    assert follow_up(None, RespawnBudget(recent=0, replaceable=True)) is Follow.NOTHING
    assert follow_up(RESPAWN, RespawnBudget(recent=0, replaceable=False)) is Follow.NOTHING


HEAL = MonitoringPolicy.parse(
    {"monitors": [{"type": "ping"}], "action": "heal", "respawn_limit": 1}
)


def test_heal_heals_a_vnfc_within_the_limit() -> None:
    vnfc = RespawnBudget(recent=0, replaceable=True, vnfc=True)
    assert follow_up(HEAL, vnfc) is Follow.HEAL
    assert follow_note(HEAL, Follow.HEAL, vnfc) == ""
    physical_vnfc = RespawnBudget(recent=0, replaceable=False, vnfc=True)
    assert follow_up(HEAL, physical_vnfc) is Follow.HEAL  # the VNF's heal builds a new one
    assert follow_up(HEAL, RespawnBudget(recent=1, replaceable=True, vnfc=True)) is Follow.STOPPED


def test_heal_of_a_device_that_is_no_vnfc_falls_back_to_respawn_and_says_so() -> None:
    plain = RespawnBudget(recent=0, replaceable=True)
    assert follow_up(HEAL, plain) is Follow.RESPAWN
    assert "heal falls back to respawn" in follow_note(HEAL, Follow.RESPAWN, plain)
    physical = RespawnBudget(recent=0, replaceable=False)
    assert follow_up(HEAL, physical) is Follow.NOTHING
    assert "not healed" in follow_note(HEAL, Follow.NOTHING, physical)
    assert follow_note(RESPAWN, Follow.RESPAWN, plain) == ""
