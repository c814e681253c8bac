"""The operation occurrence state machine, exactly as ETSI GS NFV-SOL 003 (5.6.2.2) draws it.

STARTING is the api's (it creates the op occ); lifecycle moves it on from there.
"""

from __future__ import annotations

from shared.contracts.vnflcm import ActionName, OperationState

STARTING: OperationState = "STARTING"
PROCESSING: OperationState = "PROCESSING"
COMPLETED: OperationState = "COMPLETED"
FAILED_TEMP: OperationState = "FAILED_TEMP"
FAILED: OperationState = "FAILED"
ROLLING_BACK: OperationState = "ROLLING_BACK"
ROLLED_BACK: OperationState = "ROLLED_BACK"

TRANSITIONS: dict[OperationState, frozenset[OperationState]] = {
    # ROLLED_BACK: cancelled (or refused) before it started.
    STARTING: frozenset({PROCESSING, ROLLED_BACK}),
    PROCESSING: frozenset({COMPLETED, FAILED_TEMP}),
    # retry, rollback, fail.
    FAILED_TEMP: frozenset({PROCESSING, ROLLING_BACK, FAILED}),
    ROLLING_BACK: frozenset({ROLLED_BACK, FAILED_TEMP}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    ROLLED_BACK: frozenset(),
}
FINAL: frozenset[OperationState] = frozenset({COMPLETED, FAILED, ROLLED_BACK})
# States in which the op's steps are being issued; the op's deadline applies.
RUNNING: frozenset[OperationState] = frozenset({PROCESSING, ROLLING_BACK})

# Where each action may be taken (SOL003 5.4.14-5.4.17: 409 Conflict elsewhere).
ACTION_FROM: dict[ActionName, frozenset[OperationState]] = {
    "RETRY": frozenset({FAILED_TEMP}),
    "ROLLBACK": frozenset({FAILED_TEMP}),
    "FAIL": frozenset({FAILED_TEMP}),
    "CANCEL": frozenset({STARTING, PROCESSING, ROLLING_BACK}),
}


class InvalidOpTransition(Exception):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"an operation occurrence cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def check_transition(current: OperationState, wanted: OperationState) -> None:
    if wanted not in TRANSITIONS[current]:
        raise InvalidOpTransition(current, wanted)


def action_allowed(action: ActionName, state: OperationState) -> bool:
    return state in ACTION_FROM[action]
