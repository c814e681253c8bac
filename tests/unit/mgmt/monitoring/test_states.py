"""Judging probe results: a threshold of consecutive failures, recovery on one success."""

from __future__ import annotations

from servicevm_mgmt.monitoring.states import (
    MonitorState,
    ProbeResult,
    after_probe,
    health_change,
)

OK = ProbeResult(ok=True, latency_seconds=0.01)
FAIL = ProbeResult(ok=False, latency_seconds=1.0, error="refused")


def run(results: list[ProbeResult], threshold: int) -> list[MonitorState]:
    state, seen = MonitorState(), []
    for result in results:
        state = after_probe(state, result, threshold=threshold)
        seen.append(state)
    return seen


def test_a_monitor_is_unhealthy_only_after_threshold_failures_in_a_row() -> None:
    states = run([FAIL, FAIL, OK, FAIL, FAIL, FAIL], threshold=3)
    assert [s.healthy for s in states] == [True, True, True, True, True, False]
    assert [s.consecutive_failures for s in states] == [1, 2, 0, 1, 2, 3]
    assert states[-1].last_error == "refused"


def test_one_success_recovers_and_further_failures_stay_unhealthy() -> None:
    states = run([FAIL, FAIL, FAIL, OK], threshold=1)
    assert [s.healthy for s in states] == [False, False, False, True]
    assert states[-1] == MonitorState()


def test_the_device_changes_health_when_its_first_monitor_fails_and_its_last_recovers() -> None:
    good, bad = MonitorState(), MonitorState(consecutive_failures=2, healthy=False)
    assert health_change([good, good], [good, bad]) is False
    assert health_change([good, bad], [bad, bad]) is None
    assert health_change([bad, bad], [good, bad]) is None
    assert health_change([good, bad], [good, good]) is True
    assert health_change([good], [good]) is None
