"""Which of an op occ's states mgmt notifies as RESULTs after what it notified already
(``handlers._results``): each state once, in order, never an older snapshot's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from servicevm_mgmt.sol003.handlers import _results
from servicevm_mgmt.sol003.records import UNSEEN, Notice
from shared.contracts.vnflcm import OperationState, VnfLcmOpOccSnapshot

NOW = datetime.now(UTC)
OP_ID, VNF_ID = uuid.uuid4(), uuid.uuid4()


def _op(state: OperationState, revision: int) -> VnfLcmOpOccSnapshot:
    return VnfLcmOpOccSnapshot(
        id=OP_ID,
        vnf_instance_id=VNF_ID,
        tenant_id="p",
        operation="INSTANTIATE",
        operation_state=state,
        is_automatic_invocation=False,
        operation_params={},
        start_time=NOW,
        state_entered_time=NOW,
        revision=revision,
    )


def _states(results: list[VnfLcmOpOccSnapshot]) -> list[str]:
    return [op.operation_state for op in results]


def test_an_unseen_op_notifies_each_state_after_starting() -> None:
    results, notice = _results(UNSEEN, [_op("STARTING", 1)])
    assert results == [] and notice == Notice("STARTING", 1)
    results, notice = _results(UNSEEN, [_op("PROCESSING", 2), _op("COMPLETED", 3)])
    assert _states(results) == ["PROCESSING", "COMPLETED"]
    assert notice == Notice("COMPLETED", 3)


def test_states_notified_already_or_older_are_not_notified_again() -> None:
    processing = Notice("PROCESSING", 2)
    assert _results(processing, [_op("PROCESSING", 2)]) == ([], processing)
    assert _results(processing, [_op("STARTING", 1)]) == ([], processing)
    results, notice = _results(processing, [_op("PROCESSING", 2), _op("COMPLETED", 3)])
    assert _states(results) == ["COMPLETED"] and notice == Notice("COMPLETED", 3)


def test_a_later_snapshot_in_the_same_state_moves_only_the_revision() -> None:
    assert _results(Notice("PROCESSING", 2), [_op("PROCESSING", 4)]) == (
        [],
        Notice("PROCESSING", 4),
    )
