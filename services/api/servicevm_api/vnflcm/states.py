"""Op occ states as the api needs them (SOL003 5.6.2.2): final states, and where each
action on an op occ is allowed (409 elsewhere). lifecycle applies the same rules and stays
the authority; the api checks first so the caller gets the 409. Pure."""

from __future__ import annotations

from shared.contracts.vnflcm import ActionName, OperationState, VnfLcmOperation

FINAL: frozenset[OperationState] = frozenset({"COMPLETED", "FAILED", "ROLLED_BACK"})

ACTION_FROM: dict[ActionName, frozenset[OperationState]] = {
    "RETRY": frozenset({"FAILED_TEMP"}),
    "ROLLBACK": frozenset({"FAILED_TEMP"}),
    "FAIL": frozenset({"FAILED_TEMP"}),
    "CANCEL": frozenset({"STARTING", "PROCESSING", "ROLLING_BACK"}),
}

# The state an op occ shows as soon as the api accepted the action (lifecycle's events
# then carry it on; a CANCEL only marks it cancel-pending).
ACCEPTED_STATE: dict[ActionName, OperationState | None] = {
    "RETRY": "PROCESSING",
    "ROLLBACK": "ROLLING_BACK",
    "FAIL": "FAILED",
    "CANCEL": None,
}

# The instantiationState each task needs (SOL003 5.4.4-5.4.11: 409 otherwise).
NEEDS_INSTANTIATED: dict[VnfLcmOperation, bool] = {
    "INSTANTIATE": False,
    "TERMINATE": True,
    "SCALE": True,
    "SCALE_TO_LEVEL": True,
    "HEAL": True,
    "OPERATE": True,
    "CHANGE_FLAVOUR": True,
    "CHANGE_EXT_CONN": True,
    "MODIFY_INFO": False,
}


def is_final(state: str) -> bool:
    return state in FINAL


def action_allowed(action: ActionName, state: str) -> bool:
    return state in ACTION_FROM[action]
