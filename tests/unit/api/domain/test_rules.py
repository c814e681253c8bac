"""What a client may ask of a device or a service instance in its current status."""

from __future__ import annotations

import pytest

from servicevm_api.domain.rules import (
    delete_refusal,
    instance_delete_refusal,
    instance_update_refusal,
    update_refusal,
)
from shared.contracts.models import DeviceStatus, ServiceInstanceStatus

S = ServiceInstanceStatus


@pytest.mark.parametrize("status", DeviceStatus.ALL)
def test_update_only_when_active(status: str) -> None:
    refusal = update_refusal(status)
    assert (refusal is None) == (status == DeviceStatus.ACTIVE)
    if refusal is not None:
        assert status in refusal


@pytest.mark.parametrize("status", DeviceStatus.ALL)
def test_delete_unless_an_operation_is_pending(status: str) -> None:
    refusal = delete_refusal(status)
    assert (refusal is None) == (status not in DeviceStatus.PENDING)
    if refusal is not None:
        assert status in refusal


def test_update_rules() -> None:
    assert "managed by another service" in (
        instance_update_refusal(S.ACTIVE, managed_by_user=False) or ""
    )
    assert instance_update_refusal(S.ACTIVE, managed_by_user=True) is None
    assert "PENDING_CREATE" in (
        instance_update_refusal(S.PENDING_CREATE, managed_by_user=True) or ""
    )


def test_delete_rules() -> None:
    assert instance_delete_refusal(S.ACTIVE, placed=True) is None
    assert instance_delete_refusal(S.PENDING_CREATE, placed=False) is None
    assert instance_delete_refusal(S.PENDING_CREATE, placed=True) is not None
    assert instance_delete_refusal(S.PENDING_DELETE, placed=True) is not None
