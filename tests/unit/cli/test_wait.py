"""--wait: which statuses end it, and how (exit codes 3 and 4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from servicevm_cli.errors import WaitFailed, WaitTimeout
from servicevm_cli.wait import ACTIVE, DELETED, REACHABLE, Verdict, verdict, wait_for


def test_verdicts() -> None:
    assert verdict({"status": "ACTIVE"}, ACTIVE) is Verdict.DONE
    assert verdict({"status": "PENDING_CREATE"}, ACTIVE) is Verdict.PENDING
    assert verdict({"status": "ERROR"}, ACTIVE) is Verdict.FAILED
    # Gone while waiting for ACTIVE can never succeed.
    assert verdict(None, ACTIVE) is Verdict.FAILED
    assert verdict(None, DELETED) is Verdict.DONE
    assert verdict({"status": "PENDING_DELETE"}, DELETED) is Verdict.PENDING
    assert verdict({"status": "ERROR"}, DELETED) is Verdict.FAILED
    assert verdict({"status": "REACHABLE"}, REACHABLE) is Verdict.DONE
    assert verdict({"status": "UNREACHABLE"}, REACHABLE) is Verdict.FAILED


def sequence(*statuses: str | None) -> Iterator[dict[str, Any] | None]:
    for status in statuses:
        yield None if status is None else {"id": "d", "status": status, "error_reason": "boom"}


def test_waits_through_pending_statuses_until_done() -> None:
    polls = sequence("PENDING_CREATE", "PENDING_CREATE", "ACTIVE")
    found = wait_for(lambda: next(polls), label="device d", goal=ACTIVE, timeout=5, poll=0)
    assert found is not None and found["status"] == "ACTIVE"


def test_error_ends_the_wait_with_exit_code_3_and_the_reason() -> None:
    polls = sequence("PENDING_CREATE", "ERROR")
    with pytest.raises(WaitFailed, match="device d is ERROR: boom") as caught:
        wait_for(lambda: next(polls), label="device d", goal=ACTIVE, timeout=5, poll=0)
    assert caught.value.exit_code == 3  # ExitCode.WAIT_ERROR


def test_running_out_of_time_is_exit_code_4() -> None:
    with pytest.raises(WaitTimeout, match="PENDING_DELETE") as caught:
        wait_for(lambda: {"status": "PENDING_DELETE"}, label="x", goal=DELETED, timeout=0, poll=0)
    assert caught.value.exit_code == 4  # ExitCode.TIMEOUT


def test_a_delete_wait_ends_when_the_resource_is_gone() -> None:
    polls = sequence("PENDING_DELETE", None)
    assert wait_for(lambda: next(polls), label="x", goal=DELETED, timeout=5, poll=0) is None
