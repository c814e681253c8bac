"""The device state machine of lifecycle's domain model."""

from __future__ import annotations

import uuid

import pytest

from servicevm_lifecycle.domain.model import TRANSITIONS, Device, InvalidTransition
from shared.contracts.models import DeviceStatus, ServiceContext

S = DeviceStatus


def _device(status: str = S.PENDING_CREATE) -> Device:
    return Device(
        id=uuid.uuid4(),
        tenant_id="p",
        template_id=uuid.uuid4(),
        kwargs={"a": 1},
        service_contexts=[ServiceContext(role="management")],
        status=status,
    )


ALLOWED = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]
FORBIDDEN = [
    (current, target)
    for current in S.ALL
    for target in S.ALL
    if target not in TRANSITIONS.get(current, frozenset())
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transition_bumps_revision_and_remembers_previous(
    current: str, target: str
) -> None:
    device = _device(current)
    moved = device.transition(target, error_reason="why" if target == S.ERROR else None)
    assert moved.status == target
    assert moved.previous_status == current
    assert moved.revision == device.revision + 1
    assert device.status == current  # immutable


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transition_raises(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition):
        _device(current).transition(target)


def test_the_create_update_delete_path_is_allowed() -> None:
    device = _device()
    for status in (S.ACTIVE, S.PENDING_UPDATE, S.ACTIVE, S.PENDING_DELETE):
        device = device.transition(status)
    assert device.revision == 5


def test_pending_states_refuse_a_second_operation() -> None:
    for pending in S.PENDING:
        assert not _device(pending).can(S.PENDING_UPDATE)
        assert not _device(pending).can(S.PENDING_DELETE)


def test_error_reason_is_cleared_when_leaving_error() -> None:
    failed = _device().transition(S.ERROR, error_reason="boom")
    assert failed.error_reason == "boom"
    assert failed.transition(S.PENDING_DELETE).error_reason is None


def test_snapshot_mirrors_the_device() -> None:
    device = _device().transition(S.ACTIVE, instance_id="i-1", mgmt_address="10.0.0.1")
    snapshot = device.snapshot()
    assert snapshot.id == device.id
    assert snapshot.status == S.ACTIVE
    assert snapshot.instance_id == "i-1"
    assert snapshot.mgmt_address == "10.0.0.1"
    assert snapshot.revision == device.revision
    assert snapshot.service_contexts == device.service_contexts
    assert snapshot.kwargs == {"a": 1}
