"""Flows revert exactly the tasks that completed, in reverse order, and never raise from a revert."""

from __future__ import annotations

import asyncio

import pytest

from shared.flows import FlowFailed, Task, run_flow


class Recorder(Task[list[str]]):
    def __init__(self, name: str, *, fail: bool = False, revert_fails: bool = False) -> None:
        self._name = name
        self._fail = fail
        self._revert_fails = revert_fails

    @property
    def name(self) -> str:
        return self._name

    async def execute(self, state: list[str]) -> None:
        if self._fail:
            raise RuntimeError(f"{self._name} broke")
        state.append(f"do {self._name}")

    async def revert(self, state: list[str]) -> None:
        state.append(f"undo {self._name}")
        if self._revert_fails:
            raise RuntimeError("revert broke")


def test_tasks_run_in_order() -> None:
    state: list[str] = []
    asyncio.run(run_flow([Recorder("a"), Recorder("b")], state))
    assert state == ["do a", "do b"]


def test_failure_reverts_completed_tasks_in_reverse_only() -> None:
    state: list[str] = []
    with pytest.raises(FlowFailed) as failed:
        asyncio.run(
            run_flow([Recorder("a"), Recorder("b"), Recorder("c", fail=True), Recorder("d")], state)
        )
    assert state == ["do a", "do b", "undo b", "undo a"]
    assert failed.value.task == "c"
    assert failed.value.reason == "c broke"


def test_a_failing_revert_does_not_stop_the_others() -> None:
    state: list[str] = []
    tasks = [Recorder("a"), Recorder("b", revert_fails=True), Recorder("c", fail=True)]
    with pytest.raises(FlowFailed):
        asyncio.run(run_flow(tasks, state))
    assert state == ["do a", "do b", "undo b", "undo a"]
