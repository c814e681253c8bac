"""How an op occ's plan advances: waves, failures, cancel, retry, rollback, deadline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain.model import Step, StepAction
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from servicevm_lifecycle.vnflcm.snapshots import affected_vnfcs

NOW = datetime(2026, 11, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
CREATE: frozenset[StepAction] = frozenset({"CREATE"})
DELETE: frozenset[StepAction] = frozenset({"DELETE"})


def create(wave: int = 0, **fields: object) -> Step:
    return Step(
        "CREATE",
        uuid.uuid4(),
        "VDU1",
        uuid.uuid4(),
        wave=wave,
        template_id=uuid.uuid4(),
        adds_vnfc=True,
        **fields,  # type: ignore[arg-type]
    )


def op_with(*steps: Step) -> OpOcc:
    return OpOcc(
        id=uuid.uuid4(),
        vnf_instance_id=uuid.uuid4(),
        tenant_id="p",
        operation="INSTANTIATE",
        state="STARTING",
        operation_params={},
        is_automatic_invocation=False,
        start_time=NOW,
        state_entered_time=NOW,
        steps=steps,
    )


def settle(
    op: OpOcc, step: Step, *, ok: bool = True, actions: frozenset[StepAction] = CREATE
) -> OpOcc:
    settled = opocc.settle(op, step.device_id, actions, ok=ok, reason=None if ok else "boom")
    assert settled is not None
    advanced, _issued = opocc.advance(settled[0], NOW)
    return advanced


def test_waves_are_issued_in_order_and_all_done_completes() -> None:
    first, second = create(0), create(1)
    op, issued = opocc.begin(op_with(first, second), NOW, HOUR)
    assert op.state == "PROCESSING" and op.deadline == NOW + HOUR
    assert [s.device_id for s in issued] == [first.device_id]
    settled = opocc.settle(op, first.device_id, CREATE, ok=True, reason=None)
    assert settled is not None
    op, issued = opocc.advance(settled[0], NOW)
    assert [s.device_id for s in issued] == [second.device_id]
    assert settle(op, second).state == "COMPLETED"


def test_a_stale_or_unrelated_device_change_settles_nothing() -> None:
    step = create()
    op, _ = opocc.begin(op_with(step), NOW, HOUR)
    assert opocc.settle(op, uuid.uuid4(), CREATE, ok=True, reason=None) is None
    assert opocc.settle(op, step.device_id, DELETE, ok=True, reason=None) is None


def test_a_failure_waits_for_the_steps_in_flight_then_fails_temp() -> None:
    bad, slow = create(), create()
    op, _ = opocc.begin(op_with(bad, slow), NOW, HOUR)
    op = settle(op, bad, ok=False)
    assert op.state == "PROCESSING"  # slow is still in flight
    op = settle(op, slow)
    assert op.state == "FAILED_TEMP"
    assert op.error is not None and op.error["detail"] == "boom"
    # The work done is kept.
    assert [a.change_type for a in affected_vnfcs(op)] == ["ADDED"]


def test_a_best_effort_failure_does_not_fail_the_op() -> None:
    stop = Step("STOP", uuid.uuid4(), "VDU1", uuid.uuid4(), best_effort=True)
    delete = Step("DELETE", stop.vnfc_id, "VDU1", stop.device_id, wave=1)
    op, _ = opocc.begin(op_with(stop, delete), NOW, HOUR)
    op = settle(op, stop, ok=False, actions=frozenset({"STOP"}))
    assert [s.status for s in op.steps] == ["FAILED", "SENT"]
    assert settle(op, delete, actions=DELETE).state == "COMPLETED"


def test_retry_replaces_a_failed_create_and_deletes_its_device() -> None:
    bad = create()
    op, _ = opocc.begin(op_with(bad), NOW, HOUR)
    op = settle(op, bad, ok=False)
    retried, issued = opocc.advance(opocc.retry(op, NOW, HOUR, uuid.uuid4), NOW)
    assert retried.state == "PROCESSING" and retried.error is None
    new, cleanup = issued
    assert (new.action, new.vnfc_id, new.replaces) == ("CREATE", bad.vnfc_id, bad.device_id)
    assert new.device_id != bad.device_id
    assert (cleanup.action, cleanup.device_id, cleanup.replaces) == (
        "DELETE",
        bad.device_id,
        new.device_id,
    )
    op = settle(retried, new)
    op = settle(op, cleanup, actions=DELETE)
    assert op.state == "COMPLETED"
    assert [(a.change_type, a.compute_resource) for a in affected_vnfcs(op)] == [
        ("ADDED", new.device_id)
    ]


def test_rollback_deletes_what_the_op_created_and_ends_rolled_back() -> None:
    made, bad, never = create(), create(), create(wave=1)
    op, _ = opocc.begin(op_with(made, bad, never), NOW, HOUR)
    op = settle(settle(op, made), bad, ok=False)
    assert op.state == "FAILED_TEMP"
    rolling, issued = opocc.advance(opocc.rollback(op, NOW, HOUR), NOW)
    assert rolling.state == "ROLLING_BACK"
    assert {(s.action, s.device_id) for s in issued} == {
        ("DELETE", made.device_id),
        ("DELETE", bad.device_id),
    }
    op = settle(rolling, issued[0], actions=DELETE)
    op = settle(op, issued[1], actions=DELETE)
    assert op.state == "ROLLED_BACK"
    assert affected_vnfcs(op) == []


def test_a_failed_rollback_step_is_failed_temp_again_and_retry_recreates() -> None:
    made = create()
    op, _ = opocc.begin(op_with(made, create()), NOW, HOUR)
    op = settle(settle(op, made), op.steps[1], ok=False)
    rolling, issued = opocc.advance(opocc.rollback(op, NOW, HOUR), NOW)
    undo_made = next(s for s in issued if s.device_id == made.device_id)
    op = settle(rolling, undo_made, actions=DELETE)
    other = next(s for s in issued if s.device_id != made.device_id)
    op = settle(op, other, ok=False, actions=DELETE)
    assert op.state == "FAILED_TEMP"
    retried = opocc.retry(op, NOW, HOUR, uuid.uuid4)
    # The create the rollback undid is made again, with a new device.
    assert not retried.rolling_back and retried.rollback_steps == ()
    remade = next(s for s in retried.steps if s.vnfc_id == made.vnfc_id)
    assert remade.status == "PENDING" and remade.device_id != made.device_id


def test_cancel_stops_issuing_and_fails_temp_once_in_flight_steps_settle() -> None:
    first, later = create(0), create(1)
    op, _ = opocc.begin(op_with(first, later), NOW, HOUR)
    cancelled, issued = opocc.advance(opocc.cancel(op, "GRACEFUL", NOW), NOW)
    assert cancelled.state == "PROCESSING" and cancelled.cancel_requested and issued == []
    op = settle(cancelled, first)
    assert op.state == "FAILED_TEMP" and not op.cancel_requested
    assert op.error is not None and op.error["title"] == "Operation cancelled"
    assert [s.status for s in op.steps] == ["DONE", "PENDING"]  # the later wave never went
    assert opocc.cancel(op_with(first), None, NOW).state == "ROLLED_BACK"  # from STARTING


def test_past_the_deadline_it_fails_temp_whatever_is_in_flight() -> None:
    op, _ = opocc.begin(op_with(create()), NOW, HOUR)
    timed_out = opocc.time_out(op, NOW + 2 * HOUR)
    assert timed_out.state == "FAILED_TEMP"
    assert timed_out.error is not None and timed_out.error["title"] == "Operation timed out"
    assert timed_out.revision == op.revision + 1


def test_final_states_do_not_move() -> None:
    op, _ = opocc.begin(op_with(), NOW, HOUR)
    assert op.state == "COMPLETED"  # nothing to do
    with pytest.raises(Exception, match="cannot go from COMPLETED"):
        opocc.rollback(op, NOW, HOUR)


def graceful_stop(*, best_effort: bool, seconds: float = 30.0) -> Step:
    return Step(
        "STOP",
        uuid.uuid4(),
        "VDU1",
        uuid.uuid4(),
        best_effort=best_effort,
        graceful_seconds=seconds,
    )


def test_a_graceful_stop_records_its_wait_and_moves_the_deadline() -> None:
    stop = graceful_stop(best_effort=True)
    delete = Step("DELETE", stop.vnfc_id, "VDU1", stop.device_id, wave=1)
    op, issued = opocc.begin(op_with(stop, delete), NOW, HOUR)
    assert [(s.action, s.wait_until) for s in issued] == [("STOP", NOW + timedelta(seconds=30))]
    assert op.steps[0].wait_until == NOW + timedelta(seconds=30)
    assert op.deadline == NOW + HOUR + timedelta(seconds=30)


def test_a_graceful_wait_counts_from_when_the_vnfc_was_asked_to_stop() -> None:
    stop = graceful_stop(best_effort=True)
    op, [sent] = opocc.begin(op_with(stop), NOW, HOUR)
    asked_at = NOW + timedelta(seconds=2)  # the command waited 2 s in a busy queue
    asked = opocc.asked_to_stop(op, sent.device_id, asked_at)
    assert asked.steps[0].wait_until == asked_at + timedelta(seconds=30)
    assert asked.deadline == NOW + HOUR + timedelta(seconds=32)
    # Asked again (a redelivery) no sooner: the wait does not move back.
    assert opocc.asked_to_stop(asked, sent.device_id, asked_at) is asked
    # A step no longer waiting (settled, or another device's) is left as it is.
    assert opocc.asked_to_stop(asked, uuid.uuid4(), asked_at) is asked


def test_a_terminate_stop_that_times_out_lets_the_deletes_go_on() -> None:
    stop = graceful_stop(best_effort=True)
    delete = Step("DELETE", stop.vnfc_id, "VDU1", stop.device_id, wave=1)
    op, [sent] = opocc.begin(op_with(stop, delete), NOW, HOUR)
    timed_out, forceful = opocc.graceful_timed_out(op, sent, NOW + HOUR)
    assert forceful == []
    assert timed_out.steps[0].status == "FAILED" and "30 s" in (timed_out.steps[0].reason or "")
    advanced, issued = opocc.advance(timed_out, NOW + HOUR)
    assert [s.action for s in issued] == ["DELETE"] and advanced.state == "PROCESSING"


def test_an_operate_stop_that_times_out_is_stopped_forcefully() -> None:
    op, [sent] = opocc.begin(op_with(graceful_stop(best_effort=False)), NOW, HOUR)
    timed_out, [forceful] = opocc.graceful_timed_out(op, sent, NOW + HOUR)
    assert (forceful.status, forceful.graceful_seconds, forceful.wait_until) == ("SENT", None, None)
    assert timed_out.steps == (forceful,)
    # The forceful stop settles the step as any stop does.
    settled = opocc.settle(timed_out, forceful.device_id, frozenset({"STOP"}), ok=True, reason=None)
    assert settled is not None
    assert opocc.advance(settled[0], NOW + HOUR)[0].state == "COMPLETED"


def test_rolling_back_a_graceful_stop_starts_the_vnfc_plainly() -> None:
    op, [sent] = opocc.begin(op_with(graceful_stop(best_effort=False)), NOW, HOUR)
    done = opocc.settle(op, sent.device_id, frozenset({"STOP"}), ok=True, reason=None)
    assert done is not None
    failed = done[0].enter("FAILED_TEMP", NOW)
    [undo] = opocc.rollback(failed, NOW, HOUR).rollback_steps
    assert (undo.action, undo.graceful_seconds, undo.wait_until) == ("START", None, None)
