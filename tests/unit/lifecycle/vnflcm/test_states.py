"""The op occ state machine is exactly SOL003's, and so are the states each action needs."""

from __future__ import annotations

import itertools

import pytest

from servicevm_lifecycle.vnflcm.domain import states as st

SOL003_EDGES = {
    ("STARTING", "PROCESSING"),
    ("STARTING", "ROLLED_BACK"),
    ("PROCESSING", "COMPLETED"),
    ("PROCESSING", "FAILED_TEMP"),
    ("FAILED_TEMP", "PROCESSING"),
    ("FAILED_TEMP", "ROLLING_BACK"),
    ("FAILED_TEMP", "FAILED"),
    ("ROLLING_BACK", "ROLLED_BACK"),
    ("ROLLING_BACK", "FAILED_TEMP"),
}


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(st.TRANSITIONS, repeat=2)))
def test_only_sol003_transitions_are_allowed(current: str, wanted: str) -> None:
    if (current, wanted) in SOL003_EDGES:
        st.check_transition(current, wanted)  # type: ignore[arg-type]
    else:
        with pytest.raises(st.InvalidOpTransition):
            st.check_transition(current, wanted)  # type: ignore[arg-type]


def test_actions_need_their_sol003_states() -> None:
    allowed = {
        (action, state)
        for action in st.ACTION_FROM
        for state in st.TRANSITIONS
        if st.action_allowed(action, state)
    }
    assert allowed == {
        ("RETRY", "FAILED_TEMP"),
        ("ROLLBACK", "FAILED_TEMP"),
        ("FAIL", "FAILED_TEMP"),
        ("CANCEL", "STARTING"),
        ("CANCEL", "PROCESSING"),
        ("CANCEL", "ROLLING_BACK"),
    }
    assert {"COMPLETED", "FAILED", "ROLLED_BACK"} == st.FINAL
