"""Policy decisions are remembered for a second: per question, and not past a file change."""

from __future__ import annotations

import os
from pathlib import Path

from servicevm_api.policy import DECISIONS_KEPT_SECONDS, credentials, make_enforcer

DELETE = "servicevm:device:delete"


def _project(project_id: str) -> dict[str, str]:
    return {"project_id": project_id, "tenant_id": project_id}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_caller_and_target_gets_its_own_decision() -> None:
    enforcer = make_enforcer()
    member_of_p = credentials("p", frozenset({"member"}), "u1")
    reader_of_p = credentials("p", frozenset({"reader"}), "u2")
    for _ in range(2):  # the second round answers from what was remembered
        assert enforcer.enforce(DELETE, _project("p"), member_of_p)
        assert not enforcer.enforce(DELETE, _project("q"), member_of_p)
        assert not enforcer.enforce(DELETE, _project("p"), reader_of_p)
        assert enforcer.enforce("servicevm:device:get", _project("p"), reader_of_p)


def test_a_changed_policy_file_rules_once_the_decisions_are_forgotten(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f'"{DELETE}": "role:member"\n')
    clock = Clock()
    enforcer = make_enforcer(str(policy), clock=clock)
    member = credentials("p", frozenset({"member"}), "u1")
    assert enforcer.enforce(DELETE, _project("p"), member)

    policy.write_text(f'"{DELETE}": "role:admin"\n')
    stat = policy.stat()
    os.utime(policy, (stat.st_atime + 10, stat.st_mtime + 10))
    assert enforcer.enforce(DELETE, _project("p"), member)  # remembered, within the second
    clock.now += DECISIONS_KEPT_SECONDS
    assert not enforcer.enforce(DELETE, _project("p"), member)
